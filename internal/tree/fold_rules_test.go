package tree

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestFoldRules pins the fold's rules, one file per rule under
// testdata/fold (commits in, node out). Regenerate the expected output
// after an intended change with
//
//	go test ./internal/tree/ -run TestFoldRules -rewrite
//
// and read the diff: every changed line is a changed rule.
//
// The one command is
//
//	fold [node=<kind>/<id>] [show=(<key>, …)]
//	<SDK wire lines, repo "r": entity{id=…,action=…,data=…}>
//	----
//	<the node>
//
// Line i gets version i+1 unless it starts with "@<version> ", so a case
// can send commits out of version order. Without node= the node is the
// one FoldNode picks. Without show= the output is the whole node JSON;
// with it, one line per named key (the node's JSON value of that key, or
// "absent"; hasError is Node.HasError).
func TestFoldRules(t *testing.T) {
	datadriven.Walk(t, "testdata/fold", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "fold":
				return runFold(t, d)
			default:
				d.Fatalf(t, "unknown command %q", d.Cmd)
				return ""
			}
		})
	})
}

func runFold(t *testing.T, d *datadriven.TestData) string {
	var cs []commit.Commit
	for i, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		version := int64(i + 1)
		if rest, ok := strings.CutPrefix(line, "@"); ok {
			v, tail, _ := strings.Cut(rest, " ")
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				d.Fatalf(t, "line %d: bad version %q", i+1, v)
			}
			version, line = n, tail
		}
		c, err := commit.ParseLine("r", []byte(line), version)
		if err != nil {
			d.Fatalf(t, "line %d: %v", i+1, err)
		}
		cs = append(cs, c)
	}
	var n Node
	if d.HasArg("node") {
		var ref string
		d.ScanArgs(t, "node", &ref)
		kind, id, ok := strings.Cut(ref, "/")
		if !ok {
			d.Fatalf(t, "node=%s: want kind/id", ref)
		}
		n = Fold(commit.NodeRef{Repo: "r", Kind: commit.Entity(kind), ID: id}, cs)
	} else {
		n = FoldNode(cs)
	}
	b, err := json.Marshal(n)
	if err != nil {
		d.Fatalf(t, "marshal: %v", err)
	}
	if !d.HasArg("show") {
		var out bytes.Buffer
		if err := json.Indent(&out, b, "", "  "); err != nil {
			d.Fatalf(t, "indent: %v", err)
		}
		return out.String() + "\n"
	}
	arg, _ := d.Arg("show")
	keys := arg.Vals
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		d.Fatalf(t, "unmarshal: %v", err)
	}
	var out strings.Builder
	for _, k := range keys {
		if k == "hasError" { // a method, not a JSON key
			fmt.Fprintf(&out, "%s: %v\n", k, n.HasError())
			continue
		}
		v, ok := obj[k]
		if !ok {
			fmt.Fprintf(&out, "%s: absent\n", k)
			continue
		}
		fmt.Fprintf(&out, "%s: %s\n", k, v)
	}
	return out.String()
}
