package tree

import "github.com/otelcol-genai/otelcol-genai/pkg/commit"

// The totals rule: every model call is counted once (docs/tree-json.md,
// "totals"). A call can be recorded more than once, and the rule is decided
// on the assembled tree, so neither arrival order nor batch split changes
// which record counts:
//
//   - Nested: a node with usage or cost whose subtree holds another model
//     call (an agent step reporting the sum of its calls, a wrapper span)
//     is an aggregate: shown with its own usage, its subtree's totals are
//     its children's.
//   - CLIENT/SERVER pair: a model call recorded by a SERVER span that
//     continued a caller's trace (an LLM gateway or proxy: Bifrost,
//     LiteLLM, Portkey, an inference server) repeats the call its caller
//     recorded as a CLIENT span. When the caller's nearest generation on the
//     causal path has usage or cost, the server half is paired with it
//     (PairedWith) and contributes nothing; the caller counts. When the
//     caller recorded no usage (a streamed call without usage) or no
//     generation at all (an HTTP client only), the server half is the only
//     record of the call and counts.
//
// The connector/genaimetricsconnector applies the same rule to spans, one
// at a time (its README, "Which spans count").

// finishTree sorts children, pairs the server halves of CLIENT/SERVER
// pairs and computes totals bottom-up. Its nodes were priced when folded.
func finishTree(root *TreeNode) {
	sortTree(root)
	markPairs(root)
	sumTotals(root, map[commit.Entity]map[string]int{})
}

func sortTree(n *TreeNode) {
	for _, c := range n.Children {
		sortTree(c)
	}
	sortChildren(n.Children)
}

// sumTotals computes the totals of n's subtree bottom-up. The leaves of
// one kind share one Counts map ({kind: 1}, never written once made): most
// nodes of a big tree are leaves, and a map each was a twentieth of what
// reading one allocated.
func sumTotals(n *TreeNode, leafCounts map[commit.Entity]map[string]int) Totals {
	for _, c := range n.Children {
		sumTotals(c, leafCounts)
	}
	if len(n.Children) == 0 {
		counts, ok := leafCounts[n.Kind]
		if !ok {
			counts = map[string]int{string(n.Kind): 1}
			leafCounts[n.Kind] = counts
		}
		n.Totals = totalsWith(n, counts)
	} else {
		n.Totals = totals(n)
	}
	return n.Totals
}

// serverHalf reports whether n is a model call recorded by a SERVER span
// that continued a caller's trace: the candidate server half of a pair.
func serverHalf(n *TreeNode) bool {
	return n.SpanKind == "server" && n.ParentSpanID != "" && hasUsage(n)
}

func hasUsage(n *TreeNode) bool { return n.Usage != nil || n.Cost != nil }

// markPairs sets PairedWith on every server half whose caller recorded the
// call. The causal parent of a node is the node of its OTLP parent span when
// that is in the tree (a span whose parent is remote hangs under the trace,
// not under its parent), else its parent in the tree. The walk stops at the
// first generation or node with usage: the caller's record of the call.
func markPairs(root *TreeNode) {
	var candidates []*TreeNode
	Walk(root, func(n *TreeNode) {
		if serverHalf(n) {
			candidates = append(candidates, n)
		}
	})
	if len(candidates) == 0 {
		// Most trees (every SDK trace) have no server half: no need for
		// the parent and id indexes of every node.
		return
	}
	parent := map[*TreeNode]*TreeNode{}
	byID := map[string]*TreeNode{}
	var walk func(n *TreeNode)
	walk = func(n *TreeNode) {
		if n.Kind != commit.EntityTrace && n.Kind != commit.EntitySession {
			if _, dup := byID[n.ID]; !dup {
				byID[n.ID] = n
			}
		}
		for _, c := range n.Children {
			parent[c] = n
			walk(c)
		}
	}
	walk(root)
	for _, n := range candidates {
		seen := map[*TreeNode]bool{n: true}
		cur := n
		for {
			next := parent[cur]
			if cur.ParentSpanID != "" {
				if p := byID[cur.ParentSpanID]; p != nil {
					next = p
				}
			}
			if next == nil || seen[next] {
				break
			}
			seen[next] = true
			cur = next
			if cur.Kind == commit.EntityGeneration || hasUsage(cur) {
				if hasUsage(cur) {
					n.PairedWith = cur.ID
				}
				break
			}
		}
	}
}

// totals of a node whose children already have theirs.
//
// Only leaf model calls are summed: a node with usage or cost counts them
// when no node below it does, and a paired server half never does.
func totals(n *TreeNode) Totals {
	return totalsWith(n, map[string]int{string(n.Kind): 1})
}

// totalsWith is totals starting from counts ({n.Kind: 1}), which it adds
// the children's counts to.
func totalsWith(n *TreeNode, counts map[string]int) Totals {
	t := Totals{Counts: counts}
	t.Errors = len(n.Errors)
	if n.Kind == commit.EntityError {
		t.Errors++
	}
	for _, c := range n.Children {
		ct := c.Totals
		t.InputTokens += ct.InputTokens
		t.OutputTokens += ct.OutputTokens
		t.TotalTokens += ct.TotalTokens
		t.Cost += ct.Cost
		t.UnpricedGenerations += ct.UnpricedGenerations
		t.modelCalls += ct.modelCalls
		t.Errors += ct.Errors
		for k, v := range ct.Counts {
			t.Counts[k] += v
		}
	}
	if hasUsage(n) && t.modelCalls == 0 && n.PairedWith == "" {
		if n.Usage != nil {
			t.InputTokens = n.Usage.InputTokens
			t.OutputTokens = n.Usage.OutputTokens
			t.TotalTokens = n.Usage.TotalTokens
		}
		if n.Cost != nil {
			t.Cost = n.Cost.Total
		}
		if unpriced(&n.Node) {
			t.UnpricedGenerations = 1
		}
		t.modelCalls = 1
	}
	t.Error = t.Errors > 0
	return t
}

// countsOwn reports whether totals() counts n's own usage and cost: a
// model call that is neither an aggregate of calls below it nor a paired
// server half.
func countsOwn(n *TreeNode) bool {
	return hasUsage(n) && n.PairedWith == "" && !anyCallBelow(n)
}

// anyCallBelow reports whether a child subtree holds a counted model call.
func anyCallBelow(n *TreeNode) bool {
	for _, c := range n.Children {
		if c.Totals.modelCalls > 0 {
			return true
		}
	}
	return false
}
