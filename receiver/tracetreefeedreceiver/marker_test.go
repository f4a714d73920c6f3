package tracetreefeedreceiver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
)

// TestMarkNodeIsTheHashOfItsJSON: a node's mark is the hash of its
// json.Marshal without the commit counters, as markers saved by earlier
// versions were made; a mark made another way would see every node of an
// old trace as changed and emit it again at its next late update.
func TestMarkNodeIsTheHashOfItsJSON(t *testing.T) {
	nodes := 0
	for seed := uint64(1); seed <= 40; seed++ {
		tr := storetest.AssembledCase(t, memstore.New(), treegen.Generate(seed, treegen.DefaultOptions))
		tree.Walk(tr.Root, func(n *tree.TreeNode) {
			nodes++
			cp := n.Node
			cp.CommitCount, cp.FirstVersion, cp.LastVersion = 0, 0, 0
			raw, err := json.Marshal(&cp)
			if err != nil {
				t.Fatalf("seed %d %s: %v", seed, n.ID, err)
			}
			sum := sha256.Sum256(raw)
			if got, want := markNode(&n.Node).Hash, hex.EncodeToString(sum[:12]); got != want {
				t.Fatalf("seed %d %s %s: mark %s, hash of its JSON %s", seed, n.Kind, n.ID, got, want)
			}
		})
	}
	if nodes < 200 {
		t.Fatalf("only %d nodes checked", nodes)
	}
}

// BenchmarkMarkNode marks a generation as SDK load brings them: a few
// messages of 0.5–2 KB, the chat completion, usage and cost.
func BenchmarkMarkNode(b *testing.B) {
	msg := func(role string, n int) tree.RawJSON {
		text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", n/45+1)[:n]
		raw, _ := json.Marshal(map[string]string{"role": role, "content": text})
		return tree.RawJSON(raw)
	}
	n := &tree.Node{Kind: "generation", ID: "g-1", Name: "chat", Model: "gpt-4o-mini", Provider: "openai",
		StartTimestamp: "2026-12-07T09:00:00.000Z", EndTimestamp: "2026-12-07T09:00:01.200Z", Ended: true,
		Messages: []tree.RawJSON{msg("system", 600), msg("user", 1500), msg("assistant", 900), msg("user", 700)}}
	n.Result = json.RawMessage(`{"id":"c1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"` +
		strings.Repeat("answer ", 150) + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":812,"completion_tokens":240,"total_tokens":1052}}`)
	b.ReportAllocs()
	for b.Loop() {
		_ = markNode(n)
	}
}

// BenchmarkMarkGeneratedNodes marks every node of generated traces (every
// kind, with metadata, tags, evaluations, events and errors), the mix a
// feed sees, where BenchmarkMarkNode is one message-heavy generation.
func BenchmarkMarkGeneratedNodes(b *testing.B) {
	var nodes []*tree.Node
	for seed := uint64(1); seed <= 20; seed++ {
		tr := storetest.AssembledCase(b, memstore.New(), treegen.Generate(seed, treegen.DefaultOptions))
		tree.Walk(tr.Root, func(n *tree.TreeNode) { nodes = append(nodes, &n.Node) })
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, n := range nodes {
			_ = markNode(n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(nodes)), "ns/node")
}
