package tree_test

import (
	"context"
	"flag"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
)

var (
	seedFlag  = flag.Uint64("tree.seed", 0, "first seed of the property test (0: from TREE_SEED or the clock)")
	casesFlag = flag.Int("tree.cases", 1000, "number of generated cases in the property test")
)

func propertySeed(t *testing.T) (uint64, int) {
	seed := *seedFlag
	n := *casesFlag
	if s := os.Getenv("TREE_SEED"); s != "" && seed == 0 {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TREE_SEED: %v", err)
		}
		seed, n = v, 1 // replay exactly the failing case
		if c := os.Getenv("TREE_CASES"); c != "" {
			n, _ = strconv.Atoi(c)
		}
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return seed, n
}

// TestInvarianceProperty generates random traces and checks that every
// delivery (permuted, duplicated, batch-split, children first, reversed)
// materializes byte-identical trees, summaries and sessions. A failure
// prints the seed; TREE_SEED=<seed> replays that one case.
func TestInvarianceProperty(t *testing.T) {
	seed, n := propertySeed(t)
	t.Logf("property: %d cases from seed %d", n, seed)
	ctx := context.Background()
	newBackend := func() (store.Backend, error) { return memstore.New(), nil }
	var seen coverage
	for i := 0; i < n; i++ {
		s := seed + uint64(i)
		c := treegen.Generate(s, treegen.DefaultOptions)
		if err := storetest.CheckCase(ctx, c, newBackend); err != nil {
			t.Fatalf("%v\nreplay: TREE_SEED=%d go test ./internal/tree -run TestInvarianceProperty", err, s)
		}
		seen.add(t, c)
	}
	if n >= 200 {
		seen.check(t)
	}
}

// coverage makes sure the generator really exercises what the property is
// about, so the test cannot pass vacuously.
type coverage struct {
	cases, nodes, generationsWithUsage, toolErrors, synthErrors, events, feedback,
	attachments, lateAfterEnd, movedSessions, unknown, pyParams, permutedDiffers int
}

func (cv *coverage) add(t *testing.T, c treegen.Case) {
	cv.cases++
	b := memstore.New()
	ctx := context.Background()
	if err := storetest.Deliver(ctx, b, storetest.Deliveries(c)[0]); err != nil {
		t.Fatal(err)
	}
	tr, err := tree.AssembleTrace(ctx, b, c.Trace)
	if err != nil {
		t.Fatal(err)
	}
	tree.Walk(tr.Root, func(n *tree.TreeNode) {
		cv.nodes++
		if n.Usage != nil && n.Usage.TotalTokens > 0 {
			cv.generationsWithUsage++
		}
		if n.Kind == "tool_call" && len(n.Errors) > 0 {
			cv.toolErrors++
		}
		if n.Kind == "error" && len(n.ID) > 4 && n.ID[:4] == "err-" && n.Message != "" && n.Code == "E1" {
			cv.synthErrors++
		}
		cv.events += len(n.Events)
		cv.feedback += len(n.Feedback)
		cv.attachments += len(n.Attachments)
		cv.unknown += len(n.Unknown)
		if n.Tags["afterEnd"] != "" || n.Tags["reviewed"] != "" {
			cv.lateAfterEnd++
		}
		if v, ok := n.ModelParameters["temperature"].(float64); ok && v == 0.1 {
			cv.pyParams++
		}
	})
	if len(c.Sessions) > 1 {
		cv.movedSessions++
	}
	ds := storetest.Deliveries(c)
	perm := ds[1].Batches
	if len(perm) > 0 && len(c.Commits) > 3 && perm[0][0].ID != c.Commits[0].ID {
		cv.permutedDiffers++
	}
}

func (cv *coverage) check(t *testing.T) {
	t.Logf("coverage: %+v", *cv)
	for name, v := range map[string]int{
		"generations with usage": cv.generationsWithUsage, "tool call errors": cv.toolErrors,
		"synthesized error ids": cv.synthErrors, "events": cv.events, "feedback": cv.feedback,
		"attachments": cv.attachments, "late mutations after end": cv.lateAfterEnd,
		"moved sessions": cv.movedSessions, "unknown actions": cv.unknown,
		"python string model parameters": cv.pyParams, "permutations that reorder": cv.permutedDiffers,
	} {
		if v == 0 {
			t.Errorf("generator never produced %s in %d cases", name, cv.cases)
		}
	}
	if cv.nodes < cv.cases*3 {
		t.Errorf("trees too small: %d nodes in %d cases", cv.nodes, cv.cases)
	}
}
