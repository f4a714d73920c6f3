package maximjs

import (
	"context"
	"encoding/json"
	"github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// requiredComponents are what the e2e config uses.
// get fetches a URL with the API key; it returns status 0 on a connection error.
func get(t *testing.T, u string, withKey bool) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if withKey {
		req.Header.Set("x-maxim-api-key", apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// treeNode is a tree node as the query API returns it; only the fields the test
// looks at are decoded, and raw keeps the node's whole JSON.
type treeNode struct {
	Kind     string          `json:"kind"`
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Children []*treeNode     `json:"children"`
	Output   json.RawMessage `json:"output"`
	raw      json.RawMessage
}

func (n *treeNode) UnmarshalJSON(b []byte) error {
	type plain treeNode
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*n = treeNode(p)
	n.raw = append(json.RawMessage(nil), b...)
	return nil
}

func (n *treeNode) find(kind, id string) *treeNode {
	if n == nil {
		return nil
	}
	if n.Kind == kind && n.ID == id {
		return n
	}
	for _, c := range n.Children {
		if f := c.find(kind, id); f != nil {
			return f
		}
	}
	return nil
}

// own returns the node's JSON without its children, so that a content check
// proves the content is on this node and not on a descendant.
func (n *treeNode) own() string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(n.raw, &m)
	delete(m, "children")
	b, _ := json.Marshal(m)
	return string(b)
}

func getTrace(t *testing.T, queryURL, id string) *treeNode {
	t.Helper()
	code, body := get(t, queryURL+"/api/v1/traces/"+id+"?repo="+repoID, true)
	if code != http.StatusOK {
		t.Fatalf("GET trace %s: %d %s", id, code, body)
	}
	var tr struct {
		Repo string    `json:"repo"`
		Root *treeNode `json:"trace"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.Root == nil {
		t.Fatalf("trace %s: %v: %.500s", id, err, body)
	}
	return tr.Root
}

// TestMaximJSEndToEnd drives the real npm SDK through a 503-once proxy into
// the built distribution (mxin → tracetree exporter → tracetree_store) and
// reads the stored tree back through the tracetree_query API.
func TestMaximJSEndToEnd(t *testing.T) {
	nodeBin := installSDK(t)
	// The shipped all-in-one config: mxin → tracetree → Pebble, blobs in
	// the store, the query API with the same key.
	c := harness.NewCollector(t, "default.yaml", map[string]string{"GENAI_API_KEY": apiKey})
	c.Start()
	mxinURL, queryURL := "http://"+c.Env["GENAI_MXIN_ENDPOINT"], "http://"+c.Env["GENAI_QUERY_ENDPOINT"]

	proxy, proxyURL := startProxy(t, mxinURL)
	ids := runDriver(t, nodeBin, proxyURL, apiKey, repoID)
	checkRetried(t, proxy)

	root := getTrace(t, queryURL, ids.Trace)
	contains := func(n *treeNode, what string, subs ...string) {
		t.Helper()
		if n == nil {
			t.Errorf("%s: node missing from the tree", what)
			return
		}
		own := n.own()
		for _, s := range subs {
			if !strings.Contains(own, s) {
				t.Errorf("%s %s/%s: %q not found in %.800s", what, n.Kind, n.ID, s, own)
			}
		}
	}
	contains(root, "trace", `"turn-1"`, ids.Session, "What's the weather in Paris", "It's 18C and cloudy",
		`"userId":"u-42"`, `"env":"e2e"`, "req-123", "latency_ms", "good", "faithfulness",
		ids.TraceEvent, ids.Attachment, "hello.txt")
	contains(root.find("error", ids.TraceError), "trace error", "partial failure", "E_PARTIAL")
	span := root.find("span", ids.Span)
	contains(span, "span", `"agent-loop"`, ids.SpanEvent, "cache-miss")
	contains(root.find("generation", ids.Generation), "generation", "gpt-4o-mini", "get_weather", "59", "ttft_ms")
	contains(root.find("tool_call", ids.ToolCall), "tool call", "get_weather", "tempC")
	contains(root.find("tool_call", ids.FailingToolCall), "failing tool call", "ETIMEDOUT", "timeout")
	contains(root.find("retrieval", ids.Retrieval), "retrieval", "Paris news today", "doc A: Paris marathon", "doc B: Louvre exhibit")
	contains(root.find("span", ids.ChildSpan), "child span", `"post-process"`)
	if span != nil && span.find("generation", ids.Generation) == nil {
		t.Errorf("generation %s is not under span %s", ids.Generation, ids.Span)
	}

	// The attachment bytes, through the query API.
	key := repoID + "/trace/" + ids.Trace + "/files/original/" + ids.Attachment
	code, body := get(t, queryURL+"/api/v1/attachments/"+key+"?repo="+repoID, true)
	if code != http.StatusOK || string(body) != ids.AttachmentText {
		// Say where the bytes are if they are stored under another key
		// shape, so the failure points at the key mapping between the
		// store's storage client and the query API.
		rest := strings.TrimPrefix(key, repoID+"/")
		if c2, b2 := get(t, queryURL+"/api/v1/attachments/"+rest+"?repo="+repoID, true); c2 == http.StatusOK && string(b2) == ids.AttachmentText {
			t.Errorf("attachment %s: %d %q; the bytes are served under %q instead: tracetree_store's storage client and tracetree_query disagree on the blob key", key, code, body, rest)
		} else {
			t.Errorf("attachment %s: %d %q, want %q", key, code, body, ids.AttachmentText)
		}
	}

	// The >900 KB output (uploaded, then process-large-log) is whole.
	big := getTrace(t, queryURL, ids.BigTrace)
	var out string
	if err := json.Unmarshal(big.Output, &out); err != nil || len(out) != ids.LargeOutputChars || strings.Trim(out, "x") != "" {
		t.Errorf("large output: %v, %d chars, want %d x's", err, len(out), ids.LargeOutputChars)
	}

	// The session holds both traces (one joined by sessionId at create).
	code, body = get(t, queryURL+"/api/v1/sessions/"+ids.Session+"?repo="+repoID, true)
	if code != http.StatusOK {
		t.Fatalf("GET session %s: %d %s", ids.Session, code, body)
	}
	var sess struct {
		Root *treeNode `json:"session"`
	}
	if err := json.Unmarshal(body, &sess); err != nil || sess.Root == nil {
		t.Fatalf("session %s: %v: %.500s", ids.Session, err, body)
	}
	contains(sess.Root, "session", `"support-chat"`, `"channel":"web"`, `"resolved":"yes"`, "turns")
	if sess.Root.find("trace", ids.Trace) == nil || sess.Root.find("trace", ids.BigTrace) == nil {
		t.Errorf("session %s lacks trace %s or %s", ids.Session, ids.Trace, ids.BigTrace)
	}

	// Reading needs the key.
	if code, _ := get(t, queryURL+"/api/v1/traces/"+ids.Trace+"?repo="+repoID, false); code == http.StatusOK {
		t.Errorf("query API answered without an API key")
	}
}
