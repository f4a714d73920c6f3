package genainormalizeprocessor

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The README's convention table ("Convention sources: every attribute and
// event read") must name every attribute key, event name and key prefix
// the normalizer reads, and the canonical table every maxim.* key FromTraces
// reads. The code side is read from the Go sources (go/ast), not from a
// hand-kept list:
//
//   - rule A: every string literal or constant, anywhere in
//     internal/normalize and pkg/spancommit (imports aside), that is a key in
//     one of the namespaces the conventions use (keyNamespaces);
//   - rule B: every literal or constant passed directly to a method of the
//     normalizer's span view (the methods are found in view.go) or used as an
//     index of its attribute map, whatever its shape (`metadata`, `input`);
//   - pkg/spancommit's Attr* constants (canonical keys), checked against
//     the canonical attributes table.
//
// The README side is parsed, not grepped: the backticked tokens of the
// section's table rows, with the table's shorthand expanded (braces
// `a.{b,c}`, placeholders `{i}` and `*`, and `.x` relative to the previous
// full key of the same cell).

// keyNamespaces are the attribute namespaces of the conventions we read.
// A literal starting with one is a key (or an event name, or a key prefix
// ending in '.') and must be documented.
var keyNamespaces = regexp.MustCompile(`^(gen_ai|llm|ai|openinference|traceloop|langfuse|mcp|jsonrpc|rpc|embedding|reranker|retrieval|` +
	`tool|tool_call|input|output|session|user|tag|exception|error|event|enduser|db|gcp\.vertex\.agent|mlflow|flue|operation|maxim|` +
	`openai|anthropic|bedrock)\.[A-Za-z0-9_.\-]*$|^langfuse_[a-z_]+$`)

// codeKeys is what the sources read: literal → where it was seen.
type codeKeys map[string]string

func (k codeKeys) add(s, where string) {
	if _, ok := k[s]; !ok {
		k[s] = where
	}
}

// parseDir parses the non-test Go files of dir.
func parseDir(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatalf("parse %s: %v", dir, err)
	}
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return files
}

// stringConsts maps the package-level string constants of files to their
// values.
func stringConsts(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if b, ok := vs.Values[i].(*ast.BasicLit); ok && b.Kind == token.STRING {
							out[n.Name], _ = strconv.Unquote(b.Value)
						}
					}
				}
			}
		}
	}
	return out
}

// viewMethods are the methods declared on *view in the normalize package.
func viewMethods(files []*ast.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
				continue
			}
			if st, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := st.X.(*ast.Ident); ok && id.Name == "view" {
					out[fd.Name.Name] = true
				}
			}
		}
	}
	return out
}

// collectKeys applies rules A and B to files. consts resolves identifiers
// (this package's constants) and selectors (pkg.Const) to their values.
func collectKeys(fset *token.FileSet, files []*ast.File, consts map[string]string, methods map[string]bool, keys codeKeys) {
	value := func(e ast.Expr) (string, bool) {
		switch x := e.(type) {
		case *ast.BasicLit:
			if x.Kind == token.STRING {
				s, err := strconv.Unquote(x.Value)
				return s, err == nil
			}
		case *ast.Ident:
			s, ok := consts[x.Name]
			return s, ok
		case *ast.SelectorExpr:
			s, ok := consts[x.Sel.Name]
			return s, ok
		}
		return "", false
	}
	for _, f := range files {
		pos := func(n ast.Node) string {
			p := fset.Position(n.Pos())
			return filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ImportSpec:
				return false
			case *ast.BasicLit:
				if s, ok := value(x); ok && keyNamespaces.MatchString(s) {
					keys.add(s, pos(x))
				}
			case *ast.CallExpr:
				sel, ok := x.Fun.(*ast.SelectorExpr)
				if !ok || !methods[sel.Sel.Name] {
					return true
				}
				for _, a := range x.Args {
					if s, ok := value(a); ok && s != "" {
						keys.add(s, pos(a))
					}
				}
			case *ast.IndexExpr:
				if sel, ok := x.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "attrs" {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == "v" {
						if s, ok := value(x.Index); ok {
							keys.add(s, pos(x))
						}
					}
				}
			}
			return true
		})
	}
}

// docKeys are the keys a README table documents: exact keys, and patterns
// for the forms with placeholders.
type docKeys struct {
	exact    map[string]bool
	patterns []*regexp.Regexp
	heads    []string // literal text before each pattern's first placeholder
}

var (
	keyToken    = regexp.MustCompile("^[A-Za-z0-9_.*{},/-]+$")
	placeholder = regexp.MustCompile(`\\\{[a-z]+\\\}`) // `{i}` once quoted by regexp.QuoteMeta
)

// expandBraces expands the first `{a,b}` group of s (recursively); `{i}`
// and `{n}` stay as placeholders.
func expandBraces(s string) []string {
	i := strings.IndexByte(s, '{')
	for i >= 0 {
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return []string{s}
		}
		inner := s[i+1 : i+j]
		if inner != "i" && inner != "n" {
			var out []string
			for _, alt := range strings.Split(inner, ",") {
				out = append(out, expandBraces(s[:i]+strings.TrimSpace(alt)+s[i+j+1:])...)
			}
			return out
		}
		next := strings.IndexByte(s[i+j+1:], '{')
		if next < 0 {
			break
		}
		i = i + j + 1 + next
	}
	return []string{s}
}

// readTable returns the keys documented in the tables of the README section
// whose heading starts with heading.
func readTable(t *testing.T, readme, heading string) docKeys {
	t.Helper()
	start := strings.Index(readme, "\n## "+heading)
	if start < 0 {
		t.Fatalf("README has no section %q", heading)
	}
	sec := readme[start+1:]
	if end := strings.Index(sec[3:], "\n## "); end >= 0 {
		sec = sec[:end+3]
	}
	d := docKeys{exact: map[string]bool{}}
	tick := regexp.MustCompile("`([^`]+)`")
	rows := 0
	for _, line := range strings.Split(sec, "\n") {
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "| ---") {
			continue
		}
		rows++
		// `\|` inside a cell is a literal bar.
		for _, cell := range strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|") {
			base := ""
			for _, m := range tick.FindAllStringSubmatch(cell, -1) {
				tok := strings.ReplaceAll(m[1], "\x00", "|")
				if !keyToken.MatchString(tok) {
					continue
				}
				if strings.HasPrefix(tok, ".") {
					if base == "" {
						continue
					}
					tok = base + tok
				} else if first := expandBraces(tok)[0]; strings.LastIndexByte(first, '.') > 0 {
					base = first[:strings.LastIndexByte(first, '.')]
				}
				for _, k := range expandBraces(tok) {
					if !strings.ContainsAny(k, "*{") {
						d.exact[k] = true
						continue
					}
					head := k
					if w := strings.IndexAny(k, "*{"); w >= 0 {
						head = k[:w]
					}
					re := regexp.QuoteMeta(k)
					re = strings.ReplaceAll(re, `\*`, `.+`)
					re = placeholder.ReplaceAllString(re, `[^.]+`)
					d.patterns = append(d.patterns, regexp.MustCompile("^"+re+"$"))
					d.heads = append(d.heads, head)
				}
			}
		}
	}
	if rows == 0 {
		t.Fatalf("section %q has no table rows", heading)
	}
	return d
}

// covers reports whether the documentation names key: the key itself, a
// pattern matching it, or (for a prefix the code scans, ending in '.', or a
// key whose indexed children the code reads) a documented family under it.
func (d docKeys) covers(key string) bool {
	if strings.HasSuffix(key, ".") {
		for k := range d.exact {
			if strings.HasPrefix(k, key) {
				return true
			}
		}
		for i, h := range d.heads {
			// A family under the prefix, or a wildcard covering it
			// (`embedding.*` covers `embedding.embeddings.`).
			if strings.HasPrefix(h, key) || d.patterns[i].MatchString(key+"x") {
				return true
			}
		}
		return false
	}
	if d.exact[key] {
		return true
	}
	for i, p := range d.patterns {
		if p.MatchString(key) || d.heads[i] == key+"." {
			return true
		}
	}
	return false
}

func TestConventionTableListsEveryKeyRead(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	conv := readTable(t, readme, "Convention sources")
	canon := readTable(t, readme, "Canonical attributes")

	// The parser is not vacuous: a documented key and family are found, a
	// made-up key is not.
	for _, k := range []string{"gen_ai.usage.input_tokens", "langfuse.observation.model.name", "llm.input_messages.0.message.role", "gen_ai.prompt.3.content"} {
		if !conv.covers(k) {
			t.Errorf("README parser misses %q: the table's shorthand changed?", k)
		}
	}
	for _, k := range []string{"gen_ai.no_such_key", "llm.no_such_key", "ai.no_such_key", "langfuse.no_such_key", "no_namespace"} {
		if conv.covers(k) {
			t.Errorf("README parser accepts %q, which the table does not list (a wildcard too broad?)", k)
		}
	}

	fset := token.NewFileSet()
	norm := parseDir(t, fset, filepath.Join("internal", "normalize"))
	sc := parseDir(t, fset, filepath.Join("..", "..", "pkg", "spancommit"))
	scConsts := stringConsts(sc)
	consts := stringConsts(norm)
	for k, v := range scConsts {
		if _, ok := consts[k]; !ok {
			consts[k] = v // spancommit.AttrX used by the normalizer
		}
	}
	methods := viewMethods(norm)
	if !methods["str"] || !methods["structured"] {
		t.Fatalf("view methods not found: %v", methods)
	}

	keys := codeKeys{}
	collectKeys(fset, norm, consts, methods, keys)
	scKeys := codeKeys{}
	collectKeys(fset, sc, scConsts, nil, scKeys)
	canonical := map[string]bool{}
	for name, v := range scConsts {
		if strings.HasPrefix(name, "Attr") {
			canonical[v] = true
		}
	}
	for k, where := range scKeys {
		if strings.HasPrefix(k, "maxim.") && !canonical[k] {
			continue // metadata keys FromTraces writes on nodes, not reads
		}
		keys.add(k, "pkg/spancommit "+where)
	}
	if len(keys) < 200 {
		t.Fatalf("only %d keys found in the sources: the scan is broken", len(keys))
	}

	t.Logf("%d keys, event names and prefixes read by the sources", len(keys))
	var missing []string
	for k, where := range keys {
		if conv.covers(k) || (strings.HasPrefix(k, "maxim.") && canon.covers(k)) {
			continue
		}
		missing = append(missing, k+" ("+where+")")
	}
	for k := range canonical {
		if !canon.covers(k) && !conv.covers(k) {
			missing = append(missing, k+" (pkg/spancommit canonical key)")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("read by the code, not in the README's convention tables: %s", m)
	}
}
