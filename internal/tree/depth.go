package tree

// MaxNodeDepth is how many node levels deep a tree is served as JSON
// (docs/tree-json.md, "Depth"). Every level nests two JSON levels (the node
// object and its children array), and JSON encoders and parsers bound their
// nesting: Go's encoding/json refuses to write past 10,000 levels (a chain
// of 5,000 spans was answered with a 500), Python's json module stops near
// 1,000. 256 node levels leave room for the data inside the nodes.
const MaxNodeDepth = 256

// LimitDepth bounds the nesting of the tree under root to maxDepth node
// levels, root being level 1. A node at level maxDepth whose subtree goes
// deeper gets its whole subtree as direct children, in depth-first order
// (each node before its children, siblings in their order), each without
// children of its own, and is marked Flattened. Nothing is dropped, and
// totals, computed on the whole tree, are unchanged. It reports whether it
// changed the tree.
func LimitDepth(root *TreeNode, maxDepth int) bool {
	if root == nil || maxDepth < 1 {
		return false
	}
	changed := false
	// Iterative: the tree may be far deeper than a goroutine stack likes.
	type item struct {
		n     *TreeNode
		level int
	}
	stack := []item{{root, 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.level < maxDepth {
			for _, c := range it.n.Children {
				stack = append(stack, item{c, it.level + 1})
			}
			continue
		}
		if flatten(it.n) {
			changed = true
		}
	}
	return changed
}

// flatten makes n's descendants its children, depth first, when any child
// has children of its own.
func flatten(n *TreeNode) bool {
	deep := false
	for _, c := range n.Children {
		deep = deep || len(c.Children) > 0
	}
	if !deep {
		return false
	}
	var out []*TreeNode
	stack := make([]*TreeNode, 0, len(n.Children))
	for i := len(n.Children) - 1; i >= 0; i-- {
		stack = append(stack, n.Children[i])
	}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for i := len(c.Children) - 1; i >= 0; i-- {
			stack = append(stack, c.Children[i])
		}
		c.Children = nil
		out = append(out, c)
	}
	n.Children = out
	n.Flattened = true
	return true
}
