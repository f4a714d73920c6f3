package tree

import (
	"encoding/json"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// The node's sub-records: errors, events, feedback, evaluations and
// attachments, each a set keyed by id or content hash (ordered in finish).

// errorFrom records an error given as {message, code?, type?} or a string
// (Go's newer tool_call error). Errors are a set keyed by content hash.
func (f *folder) errorFrom(raw json.RawMessage, source string, version int64) {
	if len(raw) == 0 || isNull(raw) {
		return
	}
	e := ErrorRecord{Source: source, version: version}
	if obj := f.ar.subObject(raw); obj.OK {
		e.Message = str(obj.Get("message"))
		e.Code = str(obj.Get("code"))
		e.Type = str(obj.Get("type"))
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
	ev := Event{ID: str(obj.Get("id"))}
	if ev.ID == "" {
		ev.ID = "h-" + contentKey(compact(c.Data))
	}
	for _, m := range obj.Members {
		k, v := m.Key, m.Val
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
	if g := obj.Get("genai"); f.isGenAIEvent(g) {
		f.genaiEvent(&ev, g)
		return
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
	for _, m := range obj.Members {
		k, v := m.Key, m.Val
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
	ev := Evaluation{Key: content, With: str(obj.Get("with")), content: content}
	if ev.With == EvaluationWithResult {
		ev.Evaluator = str(obj.Get("evaluator"))
		ev.Key = "result:" + ev.Evaluator
	}
	if old, ok := f.evals[ev.Key]; ok && old.content <= content {
		return
	}
	if raw := obj.Get("evaluators"); len(raw) > 0 { // a verdict has none
		_ = json.Unmarshal(raw, &ev.Evaluators)
	}
	ev.Variables = f.ar.mergeRaw(nil, obj.Get("variables"))
	ev.Timestamp, ev.ts = normTime(obj.Get("timestamp"))
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
	if score, ok := floatOf(obj.Get("score")); ok {
		ev.Score = &score
	}
	if pass, ok := boolOf(obj.Get("pass")); ok {
		ev.Pass = &pass
	}
	ev.Reason = str(obj.Get("reason"))
	ev.Error = str(obj.Get("error"))
	if raw := obj.Get("judge"); len(raw) > 0 && !isNull(raw) {
		var j EvaluationJudge
		if json.Unmarshal(raw, &j) == nil {
			ev.Judge = &j
		}
	}
}

func (f *folder) attachment(obj object, c *commit.Commit) {
	a := Attachment{ID: str(obj.Get("id"))}
	if a.ID == "" {
		a.ID = "h-" + contentKey(compact(c.Data))
	}
	for _, m := range obj.Members {
		k, v := m.Key, m.Val
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
			if x, ok := amount(v); ok {
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
