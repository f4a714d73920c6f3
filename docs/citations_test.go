// Package docs_test keeps the repository's citations honest: code comments
// and READMEs point at specifications by file, section and anchor, and a
// citation that no longer resolves sends the next reader nowhere.
package docs_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// skipDirs are never scanned: vendored packages, build output, and fixtures
// (testdata holds captured payloads, not documentation).
var skipDirs = map[string]bool{
	".git": true, "node_modules": true, "build": true, "bin": true, "data": true, "testdata": true,
}

var (
	// goCitation is a path to a markdown file in a Go comment or Makefile,
	// with an optional #anchor or § section: "docs/protocol.md §2.2",
	// "../README.md#architecture". URLs are matched too, so that they
	// can be told apart and skipped.
	goCitation = regexp.MustCompile(`(https?://\S+)|([A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md)(?:#([A-Za-z0-9_-]+))?(?:\s+§\s?(\d+(?:\.\d+)*))?`)
	// mdLink is an inline markdown link or image: [text](target).
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	// mdSection is "protocol.md §2.2" in markdown prose or code spans.
	mdSection = regexp.MustCompile(`([A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md)\s+§\s?(\d+(?:\.\d+)*)`)
	// headingNumber is the section number a heading starts with: "2.2" in
	// "### 2.2 Body framing", "2" in "## 2. Wire format".
	headingNumber = regexp.MustCompile(`^(\d+(?:\.\d+)*)\.?(?:\s|$)`)
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from docs/: %v", err)
	}
	return root
}

// TestCitationsResolve scans every Go file, Makefile and markdown file for
// citations of markdown documents and fails for each one whose file,
// section or anchor does not exist.
func TestCitationsResolve(t *testing.T) {
	root := repoRoot(t)
	docs := newDocIndex()
	var checked int
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		switch {
		case strings.HasSuffix(path, ".go") || d.Name() == "Makefile":
			for _, c := range goCitations(t, path) {
				checked++
				if msg := docs.resolve(root, path, c); msg != "" {
					t.Errorf("%s:%d: %s", rel, c.line, msg)
				}
			}
		case strings.HasSuffix(path, ".md"):
			for _, c := range markdownCitations(t, path) {
				checked++
				if msg := docs.resolve(root, path, c); msg != "" {
					t.Errorf("%s:%d: %s", rel, c.line, msg)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The repository cites its specifications dozens of times; finding
	// none means the scanner broke, not that all is well.
	t.Logf("%d citations resolve", checked)
	if checked < 20 {
		t.Fatalf("only %d citations found: the scanner no longer sees them", checked)
	}
}

// citation is one reference to a markdown document.
type citation struct {
	line    int
	target  string // path as written, relative to the citing file or the root
	anchor  string // "#anchor" without the '#', or ""
	section string // "2.2" from "§2.2", or ""
	// rootFallback lets a Go comment name a root-relative path
	// ("docs/tree-json.md") from any package; markdown links are always
	// relative to their file, as on GitHub.
	rootFallback bool
}

func goCitations(t *testing.T, path string) []citation {
	t.Helper()
	var out []citation
	forEachLine(t, path, func(n int, line string) {
		// Only comments cite; a string literal naming a file is data.
		text := line
		if strings.HasSuffix(path, ".go") {
			i := strings.Index(line, "//")
			if i < 0 {
				return
			}
			text = line[i+2:]
		} else if i := strings.Index(line, "#"); i >= 0 {
			text = line[i+1:]
		} else {
			return
		}
		for _, m := range goCitation.FindAllStringSubmatch(text, -1) {
			if m[1] != "" {
				continue // a URL: outside the repository
			}
			out = append(out, citation{line: n, target: m[2], anchor: m[3], section: m[4], rootFallback: true})
		}
	})
	return out
}

func markdownCitations(t *testing.T, path string) []citation {
	t.Helper()
	var out []citation
	inFence := false
	forEachLine(t, path, func(n int, line string) {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			return
		}
		if inFence {
			return
		}
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			out = append(out, citation{line: n, target: file, anchor: anchor})
		}
		for _, m := range mdSection.FindAllStringSubmatch(line, -1) {
			out = append(out, citation{line: n, target: m[1], section: m[2], rootFallback: true})
		}
	})
	return out
}

func forEachLine(t *testing.T, path string, fn func(n int, line string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		fn(n, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// docIndex caches the headings of each markdown file.
type docIndex map[string]*headings

type headings struct {
	anchors  map[string]bool
	sections map[string]bool
}

func newDocIndex() docIndex { return docIndex{} }

// resolve returns "" when c points at an existing file (and heading), or
// what is wrong.
func (ix docIndex) resolve(root, from string, c citation) string {
	var file string
	switch {
	case c.target == "":
		file = from // "#anchor" within the same document
	default:
		candidates := []string{filepath.Join(filepath.Dir(from), c.target)}
		if c.rootFallback {
			candidates = append(candidates, filepath.Join(root, c.target))
		}
		for _, p := range candidates {
			if st, err := os.Stat(p); err == nil && (st.Mode().IsRegular() || st.IsDir()) {
				file = p
				break
			}
		}
		if file == "" {
			return fmt.Sprintf("%s: no such file", c.target)
		}
	}
	if c.anchor == "" && c.section == "" {
		return ""
	}
	if !strings.HasSuffix(file, ".md") {
		return fmt.Sprintf("%s: only markdown files have anchors or sections", c.target)
	}
	h := ix.load(file)
	if c.anchor != "" && !h.anchors[c.anchor] {
		return fmt.Sprintf("%s#%s: no heading with that anchor", c.target, c.anchor)
	}
	if c.section != "" && !h.sections[c.section] {
		return fmt.Sprintf("%s §%s: no such numbered section", c.target, c.section)
	}
	return ""
}

func (ix docIndex) load(file string) *headings {
	if h, ok := ix[file]; ok {
		return h
	}
	h := &headings{anchors: map[string]bool{}, sections: map[string]bool{}}
	ix[file] = h
	b, err := os.ReadFile(file)
	if err != nil {
		return h
	}
	inFence := false
	seen := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		slug := githubSlug(title)
		// GitHub suffixes repeated headings with -1, -2, …
		if n := seen[slug]; n > 0 {
			h.anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			h.anchors[slug] = true
		}
		seen[slug]++
		if m := headingNumber.FindStringSubmatch(title); m != nil {
			h.sections[m[1]] = true
		}
	}
	return h
}

// githubSlug is the anchor GitHub gives a heading: lower case, spaces to
// hyphens, punctuation other than '-' and '_' dropped.
func githubSlug(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestResolverCatchesBrokenCitations proves the checker can fail: each
// broken form is reported, each good one is not.
func TestResolverCatchesBrokenCitations(t *testing.T) {
	root := repoRoot(t)
	from := filepath.Join(root, "receiver", "mxinreceiver", "http.go")
	ix := newDocIndex()
	for _, tc := range []struct {
		name string
		c    citation
		ok   bool
	}{
		{"root-relative section", citation{target: "docs/protocol.md", section: "2.2", rootFallback: true}, true},
		{"relative anchor", citation{target: "../../README.md", anchor: "architecture"}, true},
		{"missing file", citation{target: "DESIGN.md", rootFallback: true}, false},
		{"missing section", citation{target: "docs/protocol.md", section: "9.9", rootFallback: true}, false},
		{"missing anchor", citation{target: "../../README.md", anchor: "no-such-heading"}, false},
		{"markdown links do not fall back to the root", citation{target: "docs/protocol.md"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := ix.resolve(root, from, tc.c)
			if (msg == "") != tc.ok {
				t.Fatalf("resolve(%+v) = %q, want ok=%v", tc.c, msg, tc.ok)
			}
		})
	}
	if got := githubSlug("2.2 Body framing and commit grammar"); got != "22-body-framing-and-commit-grammar" {
		t.Fatalf("githubSlug = %q", got)
	}
}
