package tree_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type captured struct {
	Scenario   string `json:"scenario"`
	Seq        int    `json:"seq"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Body       string `json:"body"`
	BodyBytes  int    `json:"bodyBytes"`
	BodyPrefix string `json:"bodyPrefix"`
	BodySuffix string `json:"bodySuffix"`
	Response   struct {
		Status int `json:"status"`
	} `json:"response"`
}

// replayCapture feeds every SDK push of the capture through ParseBody into
// a memstore, as the receiver would: versions from a fixed clock, the
// storage/process-large-log line replaced by the commit line the SDK PUT to
// its key (the capture omits that 950 KB body but keeps its prefix, suffix
// and size; it is a run of one repeated character in between).
func replayCapture(t testing.TB) *memstore.Store {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "maxim-js-capture.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []captured
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r captured
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	puts := map[string][]byte{}
	for _, r := range recs {
		if r.Method != "PUT" {
			continue
		}
		key, err := url.PathUnescape(strings.TrimPrefix(r.Path, "/signed-upload/"))
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(r.Body)
		if r.BodyPrefix != "" {
			fill := r.BodyBytes - len(r.BodyPrefix) - len(r.BodySuffix)
			body = []byte(r.BodyPrefix + strings.Repeat(r.BodyPrefix[len(r.BodyPrefix)-1:], fill) + r.BodySuffix)
		}
		puts[key] = body
	}
	clock := time.Date(2026, 11, 22, 8, 33, 50, 0, time.UTC)
	v := commit.NewVersionerClock(func() time.Time { clock = clock.Add(time.Second); return clock })
	st := memstore.New()
	ctx := context.Background()
	pushes := 0
	for _, r := range recs {
		if r.Method != "POST" || !strings.HasPrefix(r.Path, "/api/sdk/v3/log?") {
			continue
		}
		u, _ := url.Parse(r.Path)
		repo := u.Query().Get("id")
		commits, errs := commit.ParseBody(repo, []byte(r.Body), v)
		if len(errs) != 0 {
			t.Fatalf("%s #%d: %v", r.Scenario, r.Seq, errs)
		}
		for i := range commits {
			key, ok := commit.LargeLogKey(&commits[i])
			if !ok {
				continue
			}
			line, ok := puts[key]
			if !ok {
				t.Fatalf("large log %s was never PUT", key)
			}
			c, err := commit.ParseLine(repo, line, commits[i].Version)
			if err != nil {
				t.Fatalf("large log %s: %v", key, err)
			}
			commits[i] = c
		}
		if err := st.Apply(ctx, commits, tree.EdgesOfAll(commits)); err != nil {
			t.Fatal(err)
		}
		pushes++
	}
	if pushes != 3 {
		t.Fatalf("replayed %d pushes, want 3", pushes)
	}
	return st
}

// readable shortens huge strings (the 950,000-character output) so the
// golden file stays reviewable; the length and hash still pin the value.
func readable(v any) any {
	switch t := v.(type) {
	case string:
		if len(t) > 512 {
			h := sha256.Sum256([]byte(t))
			return fmt.Sprintf("<%d bytes, %q…, sha256 %s>", len(t), t[:32], hex.EncodeToString(h[:8]))
		}
	case map[string]any:
		for k, x := range t {
			t[k] = readable(x)
		}
	case []any:
		for i, x := range t {
			t[i] = readable(x)
		}
	}
	return v
}

func checkGolden(t *testing.T, name string, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // versions are int64 nanoseconds: no float rounding
	if err := dec.Decode(&generic); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(readable(generic)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from golden file %s (run go test -update and review the diff)", name, path)
	}
	return raw
}

func TestGoldenJSCapture(t *testing.T) {
	st := replayCapture(t)
	ctx := context.Background()
	for _, id := range []string{"trace-001", "trace-002", "trace-edge"} {
		tr, err := tree.AssembleTrace(ctx, st, commit.NodeRef{Repo: "repo-local-1", Kind: commit.EntityTrace, ID: id})
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "js."+id, tr)
		checkGolden(t, "js."+id+".summary", tree.SummarizeTrace(tr))
	}
	s, err := tree.AssembleSession(ctx, st, commit.NodeRef{Repo: "repo-local-1", Kind: commit.EntitySession, ID: "sess-001"})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "js.sess-001", s)
	checkGolden(t, "js.sess-001.summary", tree.SummarizeSession(s))
}

// TestGoldenPythonPush replays the two maxim-py pushes quoted verbatim in
// docs/protocol.md §6.4: Python spacing, string model parameters,
// add-error without id, {name,value} metrics, span input {type,value},
// early retrieval end, add-cost, file_data attachment in a later push.
func TestGoldenPythonPush(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	clock := time.Date(2026, 11, 22, 8, 35, 9, 0, time.UTC)
	v := commit.NewVersionerClock(func() time.Time { clock = clock.Add(time.Second); return clock })
	for _, name := range []string{"maxim-py-push-1.txt", "maxim-py-push-2.txt"} {
		body, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		cs, errs := commit.ParseBody("repo-local-1", body, v)
		if len(errs) != 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		if err := st.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := tree.AssembleTrace(ctx, st, commit.NodeRef{Repo: "repo-local-1", Kind: commit.EntityTrace, ID: "py-trace-1"})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "py.py-trace-1", tr)
	s, err := tree.AssembleSession(ctx, st, commit.NodeRef{Repo: "repo-local-1", Kind: commit.EntitySession, ID: "py-sess-1"})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "py.py-sess-1.summary", tree.SummarizeSession(s))
	// Spot checks a reader would otherwise do by eye.
	span := tr.Root.Children[0]
	if span.ID != "py-span-1" || string(span.Input) != `"span input"` {
		t.Fatalf("span: %s %s", span.ID, span.Input)
	}
	kinds := map[commit.Entity]*tree.TreeNode{}
	for _, c := range span.Children {
		kinds[c.Kind] = c
	}
	if g := kinds["generation"]; g == nil || g.ModelParameters["temperature"] != 0.1 || g.Cost == nil || g.Cost.Total != 0.003 || g.Usage.TotalTokens != 4 {
		t.Errorf("python generation: %+v", g)
	}
	if e := kinds["error"]; e == nil || e.Message != "boom" || e.ID != tree.SynthErrorID("py-span-1", "boom", "2026-11-22T08:35:08.941910+00:00") {
		t.Errorf("python add-error without id: %+v", e)
	}
	if r := kinds["retrieval"]; r == nil || r.Metrics["k"] != 5 || string(r.Output) != `["doc1","doc2"]` {
		t.Errorf("python retrieval: %+v", r)
	}
	if len(tr.Root.Attachments) != 1 || tr.Root.Attachments[0].Type != "fileData" {
		t.Errorf("python attachment: %+v", tr.Root.Attachments)
	}
}
