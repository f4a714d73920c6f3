package tree

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"
)

// WriteJSON writes the trace as json.Marshal(t) would, byte for byte (the
// shape of docs/tree-json.md), but node by node: no buffer ever holds the
// whole document, and the nodes are encoded on up to GOMAXPROCS
// goroutines. A 10,000-node trace is about 9 MB of JSON; marshalling it in
// one piece grew and copied that buffer several times and spent the whole
// encoding on one core (issue 18). The output ends with a newline, like
// json.Encoder's. Unlike json.Marshal it has no nesting limit: callers
// that serve JSON bound the depth first (LimitDepth).
func (t *Trace) WriteJSON(w io.Writer) error {
	return writeRootJSON(w, t.Repo, "trace", t.Root, t.CommitCount, t.LastVersion)
}

// WriteJSON writes the session as json.Marshal(s) would; see
// Trace.WriteJSON.
func (s *Session) WriteJSON(w io.Writer) error {
	return writeRootJSON(w, s.Repo, "session", s.Root, s.CommitCount, s.LastVersion)
}

// writeRootJSON writes the Trace or Session envelope (repo, root, commit
// count, last version: the field order of both structs) around the tree.
func writeRootJSON(w io.Writer, repo, rootKey string, root *TreeNode, commits int, lastVersion int64) error {
	bw := bufWriters.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil)
		bufWriters.Put(bw)
	}()
	repoJSON, err := json.Marshal(repo)
	if err != nil {
		return fmt.Errorf("encode repo: %w", err)
	}
	bw.WriteString(`{"repo":`)
	bw.Write(repoJSON)
	bw.WriteString(`,"` + rootKey + `":`)
	if root == nil {
		bw.WriteString("null")
	} else if err := writeTreeJSON(bw, root); err != nil {
		return err
	}
	var num [20]byte
	bw.WriteString(`,"commitCount":`)
	bw.Write(strconv.AppendInt(num[:0], int64(commits), 10))
	bw.WriteString(`,"lastVersion":`)
	bw.Write(strconv.AppendInt(num[:0], lastVersion, 10))
	bw.WriteString("}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write tree JSON: %w", err)
	}
	return nil
}

// bufWriters hold the 64 KiB write buffers of WriteJSON: big enough that
// the response is written in few large writes, small enough to pool.
var bufWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}

// encodeWindow is how many nodes are encoded (in parallel) before they are
// written: it bounds the memory of a streamed tree to about a window of
// encoded nodes.
const encodeWindow = 1024

// writeTreeJSON writes root and its subtree. Each node's own JSON (its
// "head": every field but children and flattened, which TreeNode declares
// last, without the closing brace) comes from headJSON (nodejson.go); the
// nesting is written here: the head, then `,"children":[…]`,
// `,"flattened":true` when set, and `}`.
func writeTreeJSON(bw *bufio.Writer, root *TreeNode) error {
	// The nodes in document order (depth first, parents first), which is
	// the order their heads are written in.
	var order []*TreeNode
	Walk(root, func(n *TreeNode) { order = append(order, n) })
	enc := newHeadEncoder(len(order))
	defer enc.release()

	next := 0 // index in order of the next node to open
	open := func(n *TreeNode) (bool, error) {
		head, err := enc.head(order, next)
		if err != nil {
			return false, err
		}
		next++
		// A failed write (the client went away) stops the encoding here
		// rather than after the whole tree.
		if _, err := bw.Write(head); err != nil {
			return false, fmt.Errorf("write tree JSON: %w", err)
		}
		if len(n.Children) > 0 {
			bw.WriteString(`,"children":[`)
			return true, nil
		}
		closeNode(bw, n)
		return false, nil
	}
	type frame struct {
		n    *TreeNode
		next int
	}
	// The open nodes, innermost last, each with its next child to write.
	var stack []frame
	if deep, err := open(root); err != nil {
		return err
	} else if deep {
		stack = append(stack, frame{n: root})
	}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next == len(f.n.Children) {
			bw.WriteByte(']')
			closeNode(bw, f.n)
			stack = stack[:len(stack)-1]
			continue
		}
		if f.next > 0 {
			bw.WriteByte(',')
		}
		c := f.n.Children[f.next]
		f.next++
		deep, err := open(c)
		if err != nil {
			return err
		}
		if deep {
			stack = append(stack, frame{n: c})
		}
	}
	return nil
}

func closeNode(bw *bufio.Writer, n *TreeNode) {
	if n.Flattened {
		bw.WriteString(`,"flattened":true`)
	}
	bw.WriteByte('}')
}

// headEncoder encodes node heads a window at a time, the window split
// among up to GOMAXPROCS goroutines, each with its own buffer (reused from
// window to window).
type headEncoder struct {
	workers []*headWorker
	lo, hi  int      // the encoded window of order
	heads   [][]byte // heads of order[lo:hi]; alias the workers' buffers
	// perNode estimates the bytes of a head (from the last window), so a
	// worker's buffer is sized once per window instead of doubling its way
	// up from a pool that GC emptied.
	perNode int
}

type headWorker struct {
	enc  headJSON
	ends []int
	err  error
}

var headWorkers = sync.Pool{New: func() any { return &headWorker{} }}

func newHeadEncoder(nodes int) *headEncoder {
	p := runtime.GOMAXPROCS(0)
	// Below a few hundred nodes a goroutine costs more than it saves.
	p = max(1, min(p, nodes/parallelMin))
	e := &headEncoder{workers: make([]*headWorker, p), heads: make([][]byte, 0, min(nodes, encodeWindow)), perNode: 1 << 10}
	for i := range e.workers {
		e.workers[i] = headWorkers.Get().(*headWorker)
	}
	return e
}

func (e *headEncoder) release() {
	for _, hw := range e.workers {
		// Keep buffers of a window of ordinary nodes, not of a huge one.
		if cap(hw.enc.b) > 4<<20 {
			hw.enc.b = nil
		}
		hw.enc.b = hw.enc.b[:0]
		hw.enc.release()
		hw.ends = hw.ends[:0]
		hw.err = nil
		headWorkers.Put(hw)
	}
}

// head returns the encoded head of order[i] (without its closing brace),
// encoding the window that starts at i when i is past the current one
// (heads are asked for in order).
func (e *headEncoder) head(order []*TreeNode, i int) ([]byte, error) {
	if i >= e.hi {
		if err := e.encode(order, i, min(i+encodeWindow, len(order))); err != nil {
			return nil, err
		}
	}
	return e.heads[i-e.lo], nil
}

func (e *headEncoder) encode(order []*TreeNode, lo, hi int) error {
	e.lo, e.hi = lo, hi
	n := hi - lo
	parts := max(1, min(len(e.workers), n/parallelMin))
	step := (n + parts - 1) / parts
	var wg sync.WaitGroup
	for p := range parts {
		s, t := lo+p*step, min(lo+(p+1)*step, hi)
		hw := e.workers[p]
		hw.enc.b = slices.Grow(hw.enc.b[:0], (t-s)*e.perNode)
		hw.ends = hw.ends[:0]
		if p == parts-1 {
			hw.encodeRange(order[s:t]) // the last part on this goroutine
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			hw.encodeRange(order[s:t])
		}()
	}
	wg.Wait()
	e.heads = e.heads[:0]
	size := 0
	for p := range parts {
		hw := e.workers[p]
		if hw.err != nil {
			return hw.err
		}
		size += len(hw.enc.b)
		b, start := hw.enc.b, 0
		for _, end := range hw.ends {
			e.heads = append(e.heads, b[start:end])
			start = end
		}
	}
	e.perNode = size/n + 64 // a margin, so an average window fits
	return nil
}

func (hw *headWorker) encodeRange(nodes []*TreeNode) {
	for _, n := range nodes {
		if err := hw.enc.head(n); err != nil {
			hw.err = fmt.Errorf("encode %s %s: %w", n.Kind, n.ID, err)
			return
		}
		hw.ends = append(hw.ends, len(hw.enc.b))
	}
}
