package tree

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// FoldNode folds a commit set into one node. The node is the one the
// ordinary (non add-*) commits name; if every commit is a child-creating
// add-*, it is the child they name. Use Fold when the node is known: a set
// holding only a node's own add-* commits is otherwise ambiguous.
func FoldNode(commits []commit.Commit, opts ...Option) Node {
	var ref commit.NodeRef
	found := false
	for i := range commits {
		if _, isAdd := childKinds[commits[i].Action]; !isAdd {
			ref, found = commits[i].Node(), true
			break
		}
	}
	if !found {
		for i := range commits {
			if r, ok := ChildRef(&commits[i]); ok {
				ref, found = r, true
				break
			}
		}
	}
	if !found && len(commits) > 0 {
		ref = commits[0].Node()
	}
	return Fold(ref, commits, opts...)
}

// Fold is the one fold: it materializes node ref from commits, which may
// hold the node's own commits and the add-* commits of its parents that
// create it (the "seeds": an add-generation carries the generation's model,
// messages and parameters). Commits naming other nodes are ignored. The
// input need not be sorted or deduplicated: commits are reduced to a set by
// commit id (lower version kept) and applied in commit.Less order.
//
// Scalars are last-writer-wins; tags, metadata and metrics merge per key;
// generation messages append in version order, the seeds' messages first;
// events, feedback, evaluations, attachments and errors are sets keyed by id
// or content hash.
func Fold(ref commit.NodeRef, commits []commit.Commit, opts ...Option) Node {
	ar := arenas.Get().(*arena)
	var n Node
	foldInto(ar, &n, ref, false, commits)
	priceNode(&n, newOptions(opts).prices)
	ar.reset() // drop references to the commits before pooling
	arenas.Put(ar)
	return n
}

// arenas recycles the member buffers of Fold calls made outside assembly
// (which keeps one arena per goroutine itself): a pool, not shared state —
// an arena holds nothing between folds.
var arenas = sync.Pool{New: func() any { return &arena{} }}

// fold is Fold over several slices (no concatenation needed). With collect
// it also returns, per child, the node's own child-creating add-* commits
// (the children's seeds), read from the data it decodes anyway.
// It folds into *dst (a zero Node) so assembly can fold straight into the
// tree's nodes without copying a Node.
func foldInto(ar *arena, dst *Node, ref commit.NodeRef, collect bool, parts ...[]commit.Commit) map[commit.NodeRef][]commit.Commit {
	*dst = Node{Kind: ref.Kind, ID: ref.ID}
	n := dst
	ar.reset() // members of the previous fold are dead (nodes keep clones)
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	list := make([]foldItem, 0, total)
	for _, commits := range parts {
		for i := range commits {
			c := &commits[i]
			own := c.Node() == ref
			var seedObj object
			if !own {
				// ChildRef(c) == ref, decoding the data once for both the
				// test and the seed's fields.
				r, obj, ok := ar.childRefObject(c)
				if !ok || r != ref {
					continue
				}
				seedObj = obj
			}
			id := c.ID
			if id.IsZero() {
				id = commit.ComputeID(c.Repo, c.Entity, c.EntityID, c.Action, c.Data)
			}
			list = append(list, foldItem{c: c, id: id, seed: !own, obj: seedObj})
		}
	}
	// Apply order is commit.Less (version, then id). Sorting first makes
	// the first of equal ids the lowest version, the copy a set keeps.
	slices.SortFunc(list, func(a, b foldItem) int {
		if a.c.Version != b.c.Version {
			return cmp.Compare(a.c.Version, b.c.Version)
		}
		return bytes.Compare(a.id[:], b.id[:])
	})
	list = dedupeItems(list)

	// The sub-record sets are made on first use: most nodes have none.
	f := folder{ar: ar, n: n}
	if collect {
		f.collect = true
	}
	// One pass in commit.Less order (last writer wins), but messages are
	// collected in two lists: the seeds' (the add-generation that creates a
	// generation holds its opening messages) come first whatever their
	// version, then update messages in version order.
	var seedMsgs, updMsgs []RawJSON
	for _, it := range list {
		if it.seed {
			f.msgs = &seedMsgs
		} else {
			f.msgs = &updMsgs
		}
		f.apply(it.c, it.id, it.seed, it.obj)
	}
	n.Messages = append(seedMsgs, updMsgs...)
	f.msgs = nil
	for _, it := range list {
		c := it.c
		n.CommitCount++
		if n.FirstVersion == 0 || c.Version < n.FirstVersion {
			n.FirstVersion = c.Version
		}
		if c.Version > n.LastVersion {
			n.LastVersion = c.Version
		}
	}
	f.finish()
	return f.children
}

// dedupeItems keeps the first of each commit id in a sorted list: a
// quadratic scan for the few commits most nodes have, a set beyond that.
func dedupeItems(list []foldItem) []foldItem {
	out := list[:0]
	if len(list) <= 16 {
	next:
		for _, it := range list {
			for j := range out {
				if out[j].id == it.id {
					continue next
				}
			}
			out = append(out, it)
		}
		return out
	}
	seen := make(map[commit.ID]struct{}, len(list))
	for _, it := range list {
		if _, dup := seen[it.id]; dup {
			continue
		}
		seen[it.id] = struct{}{}
		out = append(out, it)
	}
	return out
}

// foldItem is one distinct commit of a fold with its id and whether it is
// a seed (a parent's add-* creating the node) rather than an own commit.
type foldItem struct {
	c    *commit.Commit
	id   commit.ID
	seed bool
	obj  object // a seed's decoded data
}

type folder struct {
	ar       *arena
	n        *Node
	msgs     *[]RawJSON
	events   map[string]*Event
	feedback map[string]*Feedback
	evals    map[string]*Evaluation
	attach   map[string]*Attachment
	errs     map[string]*ErrorRecord
	// children collects own child-creating commits by child when collect
	// is set (assembly); made on first use, as leaves have none.
	collect  bool
	children map[commit.NodeRef][]commit.Commit
}

func (f *folder) apply(c *commit.Commit, id commit.ID, isSeed bool, seedObj object) {
	if isSeed {
		// A seed's data was decoded when it was matched to the node.
		f.fields(seedObj, c.Version)
		return
	}
	var obj object
	if len(c.Data) > 0 && c.Data[0] == '{' {
		obj = f.ar.parseObject(c.Data)
	}
	switch c.Action {
	case commit.ActionCreate, commit.ActionUpdate, commit.ActionProcessLargeLog:
		f.fields(obj, c.Version)
	case commit.ActionEnd:
		f.n.Ended = true
		f.fields(obj, c.Version)
	case commit.ActionResult:
		f.result(obj.get("result"), obj.has("result"), c.Version)
	case commit.ActionError:
		f.errorFrom(obj.get("error"), string(c.Action), c.Version)
	case commit.ActionAddEvent:
		f.event(obj, c)
	case commit.ActionAddFeedback:
		f.addFeedback(obj, c)
	case commit.ActionEvaluate:
		f.evaluate(obj, c)
	case commit.ActionAddAttachment:
		f.attachment(obj, c)
	case commit.ActionAddCost:
		if cost := f.ar.parseCost(obj.get("cost")); cost != nil {
			f.setCost(cost, c.Version)
		} else {
			f.unknown(c, id, "add-cost without a cost object")
		}
	default:
		if _, isAdd := childKinds[c.Action]; isAdd {
			// An edge to a child, which folds this commit as its seed.
			if r, ok := childRefOf(c, obj.ok, obj.get("id"), obj.get("message"), obj.get("startTimestamp")); ok {
				if f.collect {
					if f.children == nil {
						f.children = map[commit.NodeRef][]commit.Commit{}
					}
					f.children[r] = append(f.children[r], *c)
				}
				return
			}
			f.unknown(c, id, "add without a child id")
			return
		}
		f.unknown(c, id, "unknown action")
	}
	if !obj.ok && !bytes.Equal(bytes.TrimSpace(c.Data), []byte("null")) && c.Action != commit.ActionEnd {
		switch c.Action {
		case commit.ActionCreate, commit.ActionUpdate, commit.ActionResult, commit.ActionError:
			f.unknown(c, id, "data is not a JSON object")
		}
	}
}

func (f *folder) unknown(c *commit.Commit, id commit.ID, reason string) {
	f.n.Unknown = append(f.n.Unknown, UnknownCommit{Action: c.Action, CommitID: id, Version: c.Version, Data: c.Data, Reason: reason})
}

// fields applies the keys of a create/update/end/seed payload.
func (f *folder) fields(obj object, version int64) {
	n := f.n
	for _, m := range obj.ms {
		k, v := m.key, m.val
		switch k {
		case "id", "spanId", "traceId", "parentId":
			// identity and parent pointers: edges, not state
		case "name":
			n.Name = str(v)
		case "startTimestamp":
			n.StartTimestamp, n.start = normTime(v)
		case "endTimestamp":
			n.EndTimestamp, n.end = normTime(v)
		case "sessionId":
			n.SessionID = str(v)
		case "input":
			n.Input = f.ar.unwrapText(v)
		case "output":
			n.Output = clone(v)
		case "docs":
			// retrieval output() sends the documents; they are its output.
			n.Output = clone(v)
		case "model":
			n.Model = str(v)
		case "provider":
			n.Provider = str(v)
		case "modelParameters":
			n.ModelParameters = f.ar.modelParams(v)
		case "maximPromptId":
			n.MaximPromptID = str(v)
		case "maximPromptVersionId":
			n.MaximPromptVersionID = str(v)
		case "messages":
			if msgs, ok := arrayElems(v); ok {
				for _, m := range msgs {
					m = clone(m)
					if f.msgs != nil {
						*f.msgs = append(*f.msgs, m)
					} else {
						n.Messages = append(n.Messages, m)
					}
				}
			} else if !isNull(v) {
				// A single message object (not an array): keep it.
				if f.msgs != nil {
					*f.msgs = append(*f.msgs, clone(v))
				} else {
					n.Messages = append(n.Messages, clone(v))
				}
			}
		case "description":
			n.Description = str(v)
		case "args":
			n.Args = clone(v)
		case "message":
			n.Message = str(v)
		case "code":
			n.Code = str(v)
		case "errorType":
			n.ErrorType = str(v)
		case "tags":
			n.Tags = f.ar.mergeTags(n.Tags, v)
		case "metadata":
			n.Metadata = f.ar.mergeRaw(n.Metadata, v)
		case "metrics":
			n.Metrics = f.ar.mergeMetrics(n.Metrics, v)
		case "error":
			f.errorFrom(v, "update", version)
		case "cost":
			if cost := f.ar.parseCost(v); cost != nil {
				f.setCost(cost, version)
			} else {
				f.extra(k, v)
			}
		case "result":
			f.result(v, true, version)
		default:
			f.extra(k, v)
		}
	}
}

func (f *folder) extra(k string, v json.RawMessage) {
	if f.n.Extra == nil {
		f.n.Extra = map[string]json.RawMessage{}
	}
	f.n.Extra[k] = clone(v)
}

func (f *folder) setCost(c *Cost, _ int64) { f.n.Cost = c }

// result folds a `result` commit: generation results are parsed
// (chat.completion, text_completion, Responses API, error form); anything
// else (tool_call's string result) is the node's output.
func (f *folder) result(raw json.RawMessage, ok bool, version int64) {
	if !ok {
		return
	}
	n := f.n
	n.Result = clone(raw)
	if n.Kind != commit.EntityGeneration {
		n.Output = clone(raw)
		return
	}
	r := f.ar.subObject(raw)
	if !r.ok {
		return
	}
	comp := &Completion{Object: str(r.get("object")), ID: str(r.get("id")), Model: str(r.get("model"))}
	if e := r.get("error"); e != nil && !isNull(e) {
		f.errorFrom(e, "result", version)
		if comp.Object == "" {
			comp.Object = "error"
		}
	}
	choices := f.ar.decodeChoices(r.get("choices"))
	var texts []string
	for _, ch := range choices {
		if fr := str(ch.FinishReason); fr != "" {
			comp.FinishReasons = append(comp.FinishReasons, fr)
		}
		if ch.Text != nil {
			texts = append(texts, *ch.Text)
		}
		if ch.Message != nil {
			if t := contentText(ch.Message.Content); t != "" {
				texts = append(texts, t)
			}
			for _, tc := range ch.Message.ToolCalls {
				comp.ToolCalls = append(comp.ToolCalls, clone(tc))
			}
		}
	}
	// Responses API: output[] items of type message with output_text parts,
	// function_call items as tool calls.
	var output []map[string]json.RawMessage
	if comp.Object == "response" && json.Unmarshal(r.get("output"), &output) == nil {
		for _, item := range output {
			switch str(item["type"]) {
			case "message":
				if t := contentText(item["content"]); t != "" {
					texts = append(texts, t)
				}
			case "function_call":
				b, _ := json.Marshal(item)
				comp.ToolCalls = append(comp.ToolCalls, b)
			}
		}
		if s := str(r.get("status")); s != "" {
			comp.FinishReasons = append(comp.FinishReasons, s)
		}
	}
	comp.Text = strings.Join(texts, "\n")
	n.Completion = comp
	if u := f.ar.parseUsage(r.get("usage")); u != nil {
		n.Usage = u
	}
	if c := f.ar.parseCost(r.get("cost")); c != nil {
		f.setCost(c, version)
	}
}

// contentText extracts text from an OpenAI content value: a string, or an
// array of parts with `text`.
func contentText(raw json.RawMessage) string {
	if len(raw) == 0 || isNull(raw) {
		return ""
	}
	if s, ok := strOrNull(raw); ok {
		return s
	}
	var parts []struct {
		Text *string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var out []string
	for _, p := range parts {
		if p.Text != nil {
			out = append(out, *p.Text)
		}
	}
	return strings.Join(out, "")
}

func (a *arena) parseCost(raw json.RawMessage) *Cost {
	c := a.subObject(raw)
	if !c.ok {
		if f, ok := number(raw); ok {
			return &Cost{Total: f, Source: CostSent}
		}
		return nil
	}
	in, ok1 := number(c.get("input"))
	out, ok2 := number(c.get("output"))
	total, ok3 := number(c.get("total"))
	if !ok1 && !ok2 && !ok3 {
		return nil
	}
	if !ok3 {
		total = in + out
	}
	return &Cost{Input: in, Output: out, Total: total, Source: CostSent}
}

// errorFrom records an error given as {message, code?, type?} or a string
// (Go's newer tool_call error). Errors are a set keyed by content hash.
func (f *folder) errorFrom(raw json.RawMessage, source string, version int64) {
	if len(raw) == 0 || isNull(raw) {
		return
	}
	e := ErrorRecord{Source: source, version: version}
	if obj := f.ar.subObject(raw); obj.ok {
		e.Message = str(obj.get("message"))
		e.Code = str(obj.get("code"))
		e.Type = str(obj.get("type"))
	} else {
		e.Message = str(raw)
	}
	e.Key = contentKey([]byte(source), compact(raw))
	if old, ok := f.errs[e.Key]; ok && old.version <= version {
		return
	}
	if f.errs == nil {
		f.errs = map[string]*ErrorRecord{}
	}
	f.errs[e.Key] = &e
}

func (f *folder) event(obj object, c *commit.Commit) {
	ev := Event{ID: str(obj.get("id"))}
	if ev.ID == "" {
		ev.ID = "h-" + contentKey(compact(c.Data))
	}
	for _, m := range obj.ms {
		k, v := m.key, m.val
		switch k {
		case "id":
		case "name":
			ev.Name = str(v)
		case "timestamp":
			ev.Timestamp, ev.ts = normTime(v)
		case "tags":
			ev.Tags = f.ar.mergeTags(nil, v)
		case "metadata":
			ev.Metadata = f.ar.mergeRaw(nil, v)
		default:
			if ev.Extra == nil {
				ev.Extra = map[string]json.RawMessage{}
			}
			ev.Extra[k] = clone(v)
		}
	}
	if f.events == nil {
		f.events = map[string]*Event{}
	}
	f.events[ev.ID] = &ev // later version wins for a reused id
}

func (f *folder) addFeedback(obj object, c *commit.Commit) {
	fb := Feedback{Key: contentKey(compact(c.Data)), version: c.Version}
	if _, ok := f.feedback[fb.Key]; ok {
		return
	}
	for _, m := range obj.ms {
		k, v := m.key, m.val
		switch k {
		case "score":
			fb.Score = clone(v)
		case "comment":
			fb.Comment = str(v)
		default:
			if fb.Extra == nil {
				fb.Extra = map[string]json.RawMessage{}
			}
			fb.Extra[k] = clone(v)
		}
	}
	if f.feedback == nil {
		f.feedback = map[string]*Feedback{}
	}
	f.feedback[fb.Key] = &fb
}

func (f *folder) evaluate(obj object, c *commit.Commit) {
	content := contentKey(compact(c.Data))
	ev := Evaluation{Key: content, With: str(obj.get("with")), content: content}
	if ev.With == EvaluationWithResult {
		ev.Evaluator = str(obj.get("evaluator"))
		ev.Key = "result:" + ev.Evaluator
	}
	if old, ok := f.evals[ev.Key]; ok && old.content <= content {
		return
	}
	_ = json.Unmarshal(obj.get("evaluators"), &ev.Evaluators)
	ev.Variables = f.ar.mergeRaw(nil, obj.get("variables"))
	ev.Timestamp, ev.ts = normTime(obj.get("timestamp"))
	if ev.With == EvaluationWithResult {
		f.verdict(&ev, obj)
	}
	if f.evals == nil {
		f.evals = map[string]*Evaluation{}
	}
	f.evals[ev.Key] = &ev
}

// verdict reads the result fields of an evaluate {with:"result"} commit.
// Fields of the wrong type are left out rather than guessed.
func (f *folder) verdict(ev *Evaluation, obj object) {
	var score float64
	if json.Unmarshal(obj.get("score"), &score) == nil && !isNull(obj.get("score")) {
		ev.Score = &score
	}
	var pass bool
	if json.Unmarshal(obj.get("pass"), &pass) == nil && !isNull(obj.get("pass")) {
		ev.Pass = &pass
	}
	ev.Reason = str(obj.get("reason"))
	ev.Error = str(obj.get("error"))
	if raw := obj.get("judge"); len(raw) > 0 && !isNull(raw) {
		var j EvaluationJudge
		if json.Unmarshal(raw, &j) == nil {
			ev.Judge = &j
		}
	}
}

func (f *folder) attachment(obj object, c *commit.Commit) {
	a := Attachment{ID: str(obj.get("id"))}
	if a.ID == "" {
		a.ID = "h-" + contentKey(compact(c.Data))
	}
	for _, m := range obj.ms {
		k, v := m.key, m.val
		switch k {
		case "id":
		case "type":
			a.Type = str(v)
			if a.Type == "file_data" {
				a.Type = "fileData"
			}
		case "name":
			a.Name = str(v)
		case "mimeType":
			a.MimeType = str(v)
		case "mime_type":
			if a.MimeType == "" {
				a.MimeType = str(v)
			}
		case "size":
			if x, ok := number(v); ok {
				s := int64(x)
				a.Size = &s
			}
		case "url":
			a.URL = str(v)
		case "key":
			a.Key = str(v)
		case "timestamp":
			a.Timestamp, _ = normTime(v)
		case "tags":
			a.Tags = f.ar.mergeTags(nil, v)
		case "metadata":
			a.Metadata = f.ar.mergeRaw(nil, v)
		default:
			if a.Extra == nil {
				a.Extra = map[string]json.RawMessage{}
			}
			a.Extra[k] = clone(v)
		}
	}
	if f.attach == nil {
		f.attach = map[string]*Attachment{}
	}
	f.attach[a.ID] = &a
}

// finish turns the keyed sets into ordered slices and derives durations.
func (f *folder) finish() {
	n := f.n
	if !n.start.IsZero() && !n.end.IsZero() {
		d := float64(n.end.Sub(n.start)) / float64(time.Millisecond)
		n.DurationMs = &d
	}
	for _, e := range f.errs {
		n.Errors = append(n.Errors, *e)
	}
	slices.SortFunc(n.Errors, func(a, b ErrorRecord) int {
		if a.version != b.version {
			return cmp.Compare(a.version, b.version)
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, e := range f.events {
		n.Events = append(n.Events, *e)
	}
	slices.SortFunc(n.Events, func(a, b Event) int {
		if c := a.ts.Compare(b.ts); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, fb := range f.feedback {
		n.Feedback = append(n.Feedback, *fb)
	}
	slices.SortFunc(n.Feedback, func(a, b Feedback) int {
		if a.version != b.version {
			return cmp.Compare(a.version, b.version)
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, ev := range f.evals {
		n.Evaluations = append(n.Evaluations, *ev)
	}
	slices.SortFunc(n.Evaluations, func(a, b Evaluation) int {
		if c := a.ts.Compare(b.ts); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, a := range f.attach {
		n.Attachments = append(n.Attachments, *a)
	}
	slices.SortFunc(n.Attachments, func(a, b Attachment) int { return strings.Compare(a.ID, b.ID) })
}

// --- small JSON helpers -------------------------------------------------

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func clone(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return nil
	}
	return compact(v)
}

// compact returns v without insignificant whitespace (Python's ", " and
// ": " separators), so equal values from different SDKs hash equally.
func compact(v []byte) []byte {
	if compactSame(v) {
		return append([]byte(nil), v...)
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return append([]byte(nil), v...)
	}
	return b.Bytes()
}

// str reads a JSON value as text: strings as themselves, numbers and
// booleans as their JSON text, null as "".
func str(v json.RawMessage) string {
	if len(v) == 0 || isNull(v) {
		return ""
	}
	if s, ok := unquote(v); ok {
		return s
	}
	return string(compact(v))
}

// strOrNull is json.Unmarshal(v, &s) == nil: a string, or null as "".
func strOrNull(v json.RawMessage) (string, bool) {
	if s, ok := unquote(v); ok {
		return s, true
	}
	if isNull(v) {
		return "", true
	}
	return "", false
}

// unwrapText turns Python's span input {type:"text", value:"…"} into the
// plain string, so inputs look the same whatever SDK sent them.
func (a *arena) unwrapText(v json.RawMessage) json.RawMessage {
	var tv struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	// Only an object of exactly two keys can be the wrapper: the common
	// case (any other input) is decided without decoding.
	if len(v) > 0 && v[0] == '{' && len(a.subObject(v).ms) == 2 && json.Unmarshal(v, &tv) == nil && tv.Type == "text" && len(tv.Value) > 0 {
		var probe map[string]json.RawMessage
		if json.Unmarshal(v, &probe) == nil && len(probe) == 2 {
			return clone(tv.Value)
		}
	}
	return clone(v)
}

func (a *arena) mergeTags(dst map[string]string, v json.RawMessage) map[string]string {
	m := a.subObject(v)
	if len(m.ms) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]string, len(m.ms))
	}
	for _, x := range m.ms {
		dst[x.key] = str(x.val)
	}
	return dst
}

func (a *arena) mergeRaw(dst map[string]json.RawMessage, v json.RawMessage) map[string]json.RawMessage {
	m := a.subObject(v)
	if len(m.ms) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]json.RawMessage, len(m.ms))
	}
	for _, x := range m.ms {
		dst[x.key] = clone(x.val)
	}
	return dst
}

// mergeMetrics merges {name: number} per key, and Python's single-metric
// shape {name: "<metric>", value: <number>}.
func (a *arena) mergeMetrics(dst map[string]float64, v json.RawMessage) map[string]float64 {
	m := a.subObject(v)
	if len(m.ms) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]float64, len(m.ms))
	}
	if name := m.get("name"); name != nil && len(m.ms) == 2 {
		if val := m.get("value"); val != nil {
			if s, ok := strOrNull(name); ok {
				if f, ok := number(val); ok {
					dst[s] = f
					return dst
				}
			}
		}
	}
	for _, x := range m.ms {
		if f, ok := number(x.val); ok {
			dst[x.key] = f
		}
	}
	return dst
}

// modelParams decodes model parameters; Python sends every non-string
// value json.dumps-ed into a string ("0.1", "true", "[\"a\"]"), which is
// parsed back. A string that is not JSON stays a string.
func (a *arena) modelParams(v json.RawMessage) map[string]any {
	if isNull(v) {
		return map[string]any{} // what decoding null into a map gave
	}
	m := a.subObject(v)
	if !m.ok {
		return nil
	}
	out := make(map[string]any, len(m.ms))
	for _, mx := range m.ms {
		k, x := mx.key, mx.val
		if s, ok := strOrNull(x); ok {
			t := strings.TrimSpace(s)
			var parsed any
			if t != "" && !strings.HasPrefix(t, `"`) && json.Unmarshal([]byte(t), &parsed) == nil {
				out[k] = parsed
				continue
			}
			out[k] = s
			continue
		}
		if jsonNumber(x) {
			if f, err := strconv.ParseFloat(string(x), 64); err == nil {
				out[k] = f
				continue
			}
		}
		var anyv any
		if json.Unmarshal(x, &anyv) == nil {
			out[k] = anyv
		}
	}
	return out
}

func contentKey(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}

// Timestamp layouts the SDKs send: JS (ms, Z), Python (µs, +00:00 or
// naive), Go (RFC 3339 nanoseconds), and Python's str(datetime) with a space.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// normTime parses a timestamp value and returns it as RFC 3339 UTC text
// (naive times are UTC). Epoch numbers are read as s, ms, µs or ns by
// magnitude. Unparsable text is returned as sent with a zero time.
func normTime(v json.RawMessage) (string, time.Time) {
	if len(v) == 0 || isNull(v) {
		return "", time.Time{}
	}
	s, isStr := unquote(v)
	if !isStr {
		f, ok := number(v)
		if !ok {
			return string(compact(v)), time.Time{}
		}
		var t time.Time
		switch a := math.Abs(f); {
		case a >= 1e17:
			t = time.Unix(0, int64(f))
		case a >= 1e14:
			t = time.UnixMicro(int64(f))
		case a >= 1e11:
			t = time.UnixMilli(int64(f))
		default:
			sec, frac := math.Modf(f)
			t = time.Unix(int64(sec), int64(frac*1e9))
		}
		t = t.UTC()
		return t.Format(time.RFC3339Nano), t
	}
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			return t.Format(time.RFC3339Nano), t
		}
	}
	return s, time.Time{}
}
