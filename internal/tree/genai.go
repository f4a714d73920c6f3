package tree

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// GenAI content events joined to a generation: `add-event` commits whose
// data carries `genai` (pkg/spancommit.FromLogEvents: OTLP log records of
// the GenAI semantic conventions, linked to the generation's span). They
// are not listed in `events`: they are where the generation's messages and
// answer come from when its own commits have none. The rule, with the
// events in (timestamp, seq, id) order, is (docs/tree-json.md, "GenAI
// events"):
//
//	input   1. the node's own messages (add-generation, update {messages}),
//	           when they hold any non-system message;
//	        2. else gen_ai.input.messages of the operation details events,
//	           concatenated;
//	        3. else the per-message events (system/user/assistant/tool).
//	        System messages of the node (instructions sent as a span
//	        attribute), else the events' system instructions, go first when
//	        the chosen events hold no system message.
//	output  1. the result's own text or tool calls;
//	        2. else gen_ai.output.messages of the details events,
//	           concatenated;
//	        3. else the gen_ai.choice events.
//	        Finish reasons come from the result, else from the chosen events.
//
// Everything is decided on the set of events, never on arrival order.

// detailsEvent is the semconv ≥1.37 event carrying whole message lists.
const detailsEvent = "gen_ai.client.inference.operation.details"

type genaiEvent struct {
	id      string
	ts      time.Time
	seq     float64
	details bool
	input   []RawJSON
	output  []RawJSON
	system  string
	finish  []string
}

// genaiEvent records the GenAI content of an add-event (ev has its id,
// name and time already).
func (f *folder) genaiEvent(ev *Event, g json.RawMessage) {
	o := f.ar.subObject(g)
	e := &genaiEvent{id: ev.ID, ts: ev.ts, details: ev.Name == detailsEvent, system: str(o.Get("system"))}
	e.seq, _ = jsonscan.Number(o.Get("seq"))
	e.input = cloneElems(o.Get("input"))
	e.output = cloneElems(o.Get("output"))
	_ = json.Unmarshal(o.Get("finishReasons"), &e.finish)
	if f.genai == nil {
		f.genai = map[string]*genaiEvent{}
	}
	f.genai[e.id] = e // later version wins for a reused id, as for events
}

func cloneElems(raw json.RawMessage) []RawJSON {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	elems, ok := jsonscan.ArrayElems(raw)
	if !ok {
		return nil
	}
	out := make([]RawJSON, 0, len(elems))
	for _, e := range elems {
		out = append(out, clone(e))
	}
	return out
}

// combineGenAI applies the rule above once the node's own fields are
// folded.
func (f *folder) combineGenAI() {
	if len(f.genai) == 0 {
		return
	}
	evs := make([]*genaiEvent, 0, len(f.genai))
	for _, e := range f.genai {
		evs = append(evs, e)
	}
	slices.SortFunc(evs, func(a, b *genaiEvent) int {
		if c := a.ts.Compare(b.ts); c != 0 {
			return c
		}
		if c := cmp.Compare(a.seq, b.seq); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	var detIn, msgIn, detOut, choiceOut []RawJSON
	var detFin, choiceFin []string
	system := ""
	for _, e := range evs {
		if e.details {
			detIn = append(detIn, e.input...)
			detOut = append(detOut, e.output...)
			detFin = append(detFin, e.finish...)
		} else {
			msgIn = append(msgIn, e.input...)
			choiceOut = append(choiceOut, e.output...)
			choiceFin = append(choiceFin, e.finish...)
		}
		if system == "" {
			system = e.system
		}
	}
	n := f.n
	in := detIn
	if len(in) == 0 {
		in = msgIn
	}
	if !f.anyRole(n.Messages, false) && (len(in) > 0 || system != "") {
		if !f.anyRole(in, true) {
			sys := n.Messages // only system messages, or none
			if len(sys) == 0 && system != "" {
				b, _ := json.Marshal(map[string]string{"role": "system", "content": system})
				sys = []RawJSON{b}
			}
			in = append(slices.Clip(sys), in...)
		}
		n.Messages = in
	}
	if c := n.Completion; c != nil && (c.Text != "" || len(c.ToolCalls) > 0) {
		return
	}
	out, fin := detOut, detFin
	if len(out) == 0 && len(fin) == 0 {
		out, fin = choiceOut, choiceFin
	}
	if len(out) == 0 && len(fin) == 0 {
		return
	}
	if n.Completion == nil {
		n.Completion = &Completion{}
	}
	c := n.Completion
	var texts []string
	for _, m := range out {
		o := f.ar.subObject(m)
		if t := contentText(o.Get("content")); t != "" {
			texts = append(texts, t)
		}
		if calls, ok := jsonscan.ArrayElems(o.Get("tool_calls")); ok {
			for _, tc := range calls {
				c.ToolCalls = append(c.ToolCalls, clone(tc))
			}
		}
	}
	c.Text = strings.Join(texts, "\n")
	if len(c.FinishReasons) == 0 {
		c.FinishReasons = fin
	}
}

// anyRole reports whether ms holds a system message (system true) or a
// message of any other role (system false).
func (f *folder) anyRole(ms []RawJSON, system bool) bool {
	for _, m := range ms {
		if (str(f.ar.subObject(m).Get("role")) == "system") == system {
			return true
		}
	}
	return false
}

// isGenAIEvent reports whether an add-event on this node is GenAI content
// the fold reads (only generations read it; elsewhere it stays an event).
func (f *folder) isGenAIEvent(g json.RawMessage) bool {
	return f.n.Kind == commit.EntityGeneration && len(g) > 0 && g[0] == '{'
}
