package publicapi

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// call is one public action being translated: its entity resolved and its
// data non-nil.
type call struct {
	a   Action
	ent commit.Entity
	d   Fields
}

// self is a single commit on the action's own entity.
func (c *call) self(act commit.Action, data Fields) []Wire {
	return []Wire{{Entity: c.ent, ID: c.a.EntityID, Action: act, Data: data}}
}

// need reports the first of keys missing from the data.
func (c *call) need(keys ...string) error {
	for _, k := range keys {
		if _, ok := c.d[k]; !ok {
			return fmt.Errorf("%s %s: missing data.%s", c.a.Entity, c.a.Action, k)
		}
	}
	return nil
}

// errorObj is the SDK error object {message, code?, type?} from the public
// errorMessage/errorCode/errorType.
func (c *call) errorObj() Fields {
	e := Fields{"message": c.d["errorMessage"]}
	if v, ok := c.d["errorCode"]; ok {
		e["code"] = v
	}
	if v, ok := c.d["errorType"]; ok {
		e["type"] = v
	}
	return e
}

type translator func(c *call) ([]Wire, error)

// sharedActions are the actions several entities accept; they are looked
// up before the entity's own.
var sharedActions = map[string]translator{
	"end":            end,
	"add-tag":        addTag,
	"add-metadata":   addMetadata,
	"add-metric":     addMetric,
	"add-feedback":   addFeedback,
	"evaluate":       evaluate,
	"add-attachment": addAttachment,
	"add-event":      addEvent,
	"add-input":      addInput,
	"add-output":     addOutput,
	"add-result":     result,
	"result":         result,
	// Children added to a trace or span: the child id gets the SDK's `id`.
	"add-span":       addSpan,
	"add-generation": addChild(commit.ActionAddGeneration, "generationId", nil),
	"add-retrieval":  addChild(commit.ActionAddRetrieval, "retrievalId", nil),
	"add-tool-call":  addChild(commit.ActionAddToolCall, "toolCallId", map[string]string{"toolName": "name"}),
	"add-error":      addError,
}

// entityActions are the actions only one entity accepts.
var entityActions = map[commit.Entity]map[string]translator{
	commit.EntityTrace: {
		"start":          create,
		"create":         create,
		"add-to-session": addToSession,
	},
	commit.EntitySession: {
		"create":    create,
		"start":     create,
		"add-trace": sessionAddTrace,
	},
	commit.EntityGeneration: {
		"add-trace-generation": addToParent(commit.EntityTrace, "traceId", commit.ActionAddGeneration),
		"add-span-generation":  addToParent(commit.EntitySpan, "spanId", commit.ActionAddGeneration),
		"add-message":          addMessage,
		"error":                generationError,
		"set-model":            setField("model"),
		"set-model-parameters": setField("modelParameters"),
	},
	commit.EntitySpan: {
		"add-trace-span": addToParent(commit.EntityTrace, "traceId", commit.ActionAddSpan),
	},
}

// TranslateAction maps one public API action to SDK commits.
func TranslateAction(a Action) ([]Wire, error) {
	ent, ok := publicEntities[a.Entity]
	if !ok {
		return nil, fmt.Errorf("unknown entity %q", a.Entity)
	}
	if a.EntityID == "" {
		return nil, fmt.Errorf("missing entityId")
	}
	// The same ids as the SDK endpoint accepts: a NUL or control
	// character would become a key in every backend.
	if err := commit.CheckID(a.EntityID); err != nil {
		return nil, fmt.Errorf("entityId: %w", err)
	}
	c := &call{a: a, ent: ent, d: a.Data}
	if c.d == nil {
		c.d = Fields{}
	}
	if t, ok := sharedActions[a.Action]; ok {
		return t(c)
	}
	if t, ok := entityActions[ent][a.Action]; ok {
		return t(c)
	}
	return nil, fmt.Errorf("unknown action %q for entity %q", a.Action, a.Entity)
}

func end(c *call) ([]Wire, error) { return c.self(commit.ActionEnd, c.d), nil }

func create(c *call) ([]Wire, error) { return c.self(commit.ActionCreate, c.d), nil }

func addTag(c *call) ([]Wire, error) {
	if err := c.need("tagKey", "tagValue"); err != nil {
		return nil, err
	}
	return c.self(commit.ActionUpdate, Fields{"tags": raw(map[string]json.RawMessage{c.d.Str("tagKey"): c.d["tagValue"]})}), nil
}

func addMetadata(c *call) ([]Wire, error) {
	if err := c.need("metadata"); err != nil {
		return nil, err
	}
	return c.self(commit.ActionUpdate, Fields{"metadata": c.d["metadata"]}), nil
}

func addMetric(c *call) ([]Wire, error) {
	if err := c.need("metricName", "metricValue"); err != nil {
		return nil, err
	}
	return c.self(commit.ActionUpdate, Fields{"metrics": raw(map[string]json.RawMessage{c.d.Str("metricName"): c.d["metricValue"]})}), nil
}

func addFeedback(c *call) ([]Wire, error) {
	if err := c.need("feedback"); err != nil {
		return nil, err
	}
	var fb Fields
	if err := json.Unmarshal(c.d["feedback"], &fb); err != nil {
		return nil, fmt.Errorf("add-feedback: data.feedback: %w", err)
	}
	return c.self(commit.ActionAddFeedback, fb), nil
}

func evaluate(c *call) ([]Wire, error) {
	if err := c.need("evaluators"); err != nil {
		return nil, err
	}
	ev := Fields{"with": raw("evaluators"), "evaluators": c.d["evaluators"]}
	if v, ok := c.d["variables"]; ok {
		ev["with"], ev["variables"] = raw("variables"), v
	}
	return c.self(commit.ActionEvaluate, ev), nil
}

func addAttachment(c *call) ([]Wire, error) {
	out := c.d.rename(map[string]string{"attachmentId": "id"})
	if _, ok := out["type"]; !ok {
		out["type"] = raw("url")
	}
	return c.self(commit.ActionAddAttachment, out), nil
}

func addEvent(c *call) ([]Wire, error) {
	if err := c.need("eventId"); err != nil {
		return nil, err
	}
	return c.self(commit.ActionAddEvent, c.d.rename(map[string]string{"eventId": "id", "eventName": "name"})), nil
}

func addInput(c *call) ([]Wire, error) {
	return c.self(commit.ActionUpdate, Fields{"input": c.d["input"]}), nil
}

// addOutput: a retrieval's output is its documents (a single string is a
// list of one).
func addOutput(c *call) ([]Wire, error) {
	if c.ent == commit.EntityRetrieval {
		docs := c.d["output"]
		if len(bytes.TrimSpace(docs)) > 0 && bytes.TrimSpace(docs)[0] == '"' {
			docs = raw([]json.RawMessage{docs})
		}
		return c.self(commit.ActionUpdate, Fields{"docs": docs}), nil
	}
	return c.self(commit.ActionUpdate, Fields{"output": c.d["output"]}), nil
}

func result(c *call) ([]Wire, error) {
	return c.self(commit.ActionResult, Fields{"result": c.d["result"]}), nil
}

// addSpan: a span names its child childSpanId, a trace spanId.
func addSpan(c *call) ([]Wire, error) {
	if c.ent == commit.EntitySpan {
		if err := c.need("childSpanId"); err != nil {
			return nil, err
		}
		return c.self(commit.ActionAddSpan, c.d.rename(map[string]string{"childSpanId": "id"})), nil
	}
	if err := c.need("spanId"); err != nil {
		return nil, err
	}
	return c.self(commit.ActionAddSpan, c.d.rename(map[string]string{"spanId": "id"})), nil
}

// addChild is an add-* whose child id is in idKey (renamed to `id`, with
// the keys of ren renamed as well).
func addChild(act commit.Action, idKey string, ren map[string]string) translator {
	names := map[string]string{idKey: "id"}
	for k, v := range ren {
		names[k] = v
	}
	return func(c *call) ([]Wire, error) {
		if err := c.need(idKey); err != nil {
			return nil, err
		}
		return c.self(act, c.d.rename(names)), nil
	}
}

// addError: a tool call's error is its own error; on other entities
// add-error adds an error child.
func addError(c *call) ([]Wire, error) {
	if c.ent == commit.EntityToolCall {
		return c.self(commit.ActionError, Fields{"error": raw(c.errorObj())}), nil
	}
	if err := c.need("errorId"); err != nil {
		return nil, err
	}
	out := c.d.rename(map[string]string{"errorId": "id", "errorMessage": "message", "errorCode": "code"})
	return c.self(commit.ActionAddError, out), nil
}

func addToSession(c *call) ([]Wire, error) {
	return c.self(commit.ActionUpdate, Fields{"sessionId": c.d["sessionId"]}), nil
}

// sessionAddTrace creates the trace, in the session.
func sessionAddTrace(c *call) ([]Wire, error) {
	if err := c.need("traceId"); err != nil {
		return nil, err
	}
	out := c.d.rename(nil, "traceId")
	out["sessionId"] = raw(c.a.EntityID)
	return []Wire{{Entity: commit.EntityTrace, ID: c.d.Str("traceId"), Action: commit.ActionCreate, Data: out}}, nil
}

// addToParent is an action on the child that the SDKs express as the
// parent's add-*: the parent's id (in parentKey) names the commit's entity
// and the child's id becomes `id`.
func addToParent(parent commit.Entity, parentKey string, act commit.Action) translator {
	return func(c *call) ([]Wire, error) {
		if err := c.need(parentKey); err != nil {
			return nil, err
		}
		out := c.d.rename(nil, parentKey)
		out["id"] = raw(c.a.EntityID)
		return []Wire{{Entity: parent, ID: c.d.Str(parentKey), Action: act, Data: out}}, nil
	}
}

func addMessage(c *call) ([]Wire, error) {
	return c.self(commit.ActionUpdate, Fields{"messages": c.d["message"]}), nil
}

// generationError is the SDKs' generation.error(): a result holding the
// error.
func generationError(c *call) ([]Wire, error) {
	return c.self(commit.ActionResult, Fields{"result": raw(Fields{"error": raw(c.errorObj())})}), nil
}

// setField sets one field of the entity from the same key of the data.
func setField(key string) translator {
	return func(c *call) ([]Wire, error) {
		return c.self(commit.ActionUpdate, Fields{key: c.d[key]}), nil
	}
}
