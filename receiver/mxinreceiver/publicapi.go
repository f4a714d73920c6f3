package mxinreceiver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Maxim's public logging API (reference §4) speaks a different vocabulary
// from the SDK commit log: `start` instead of `create`, `toolCall` instead of
// `tool_call`, one action per tag/metric/input/output, renamed id fields.
// translateAction maps one public action onto SDK commits, so everything
// downstream knows one vocabulary. Output data objects are marshalled from
// maps (sorted keys), so a resent request yields the same commit ids.

type fields map[string]json.RawMessage

// publicAction is the body of POST /v1/logging.
type publicAction struct {
	RepoID   string `json:"repoId"`
	Entity   string `json:"entity"`
	Action   string `json:"action"`
	EntityID string `json:"entityId"`
	Data     fields `json:"data"`
}

// wire is one translated commit before versioning.
type wire struct {
	entity commit.Entity
	id     string
	action commit.Action
	data   fields
}

func (f fields) str(k string) string {
	var s string
	if raw, ok := f[k]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// rename returns a copy of f without the keys in drop and with the keys of
// ren renamed.
func (f fields) rename(ren map[string]string, drop ...string) fields {
	out := make(fields, len(f))
	for k, v := range f {
		out[k] = v
	}
	for _, k := range drop {
		delete(out, k)
	}
	for from, to := range ren {
		if v, ok := out[from]; ok {
			delete(out, from)
			out[to] = v
		}
	}
	return out
}

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

var publicEntities = map[string]commit.Entity{
	"trace": commit.EntityTrace, "session": commit.EntitySession, "span": commit.EntitySpan,
	"generation": commit.EntityGeneration, "retrieval": commit.EntityRetrieval,
	"toolCall": commit.EntityToolCall, "tool_call": commit.EntityToolCall,
}

// translateAction maps one public API action to SDK commits.
func translateAction(a publicAction) ([]wire, error) {
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
	d := a.Data
	if d == nil {
		d = fields{}
	}
	self := func(act commit.Action, data fields) []wire {
		return []wire{{entity: ent, id: a.EntityID, action: act, data: data}}
	}
	need := func(keys ...string) error {
		for _, k := range keys {
			if _, ok := d[k]; !ok {
				return fmt.Errorf("%s %s: missing data.%s", a.Entity, a.Action, k)
			}
		}
		return nil
	}
	errorObj := func() fields {
		e := fields{"message": d["errorMessage"]}
		if v, ok := d["errorCode"]; ok {
			e["code"] = v
		}
		if v, ok := d["errorType"]; ok {
			e["type"] = v
		}
		return e
	}

	switch a.Action {
	// Actions shared by several entities.
	case "end":
		return self(commit.ActionEnd, d), nil
	case "add-tag":
		if err := need("tagKey", "tagValue"); err != nil {
			return nil, err
		}
		return self(commit.ActionUpdate, fields{"tags": raw(map[string]json.RawMessage{d.str("tagKey"): d["tagValue"]})}), nil
	case "add-metadata":
		if err := need("metadata"); err != nil {
			return nil, err
		}
		return self(commit.ActionUpdate, fields{"metadata": d["metadata"]}), nil
	case "add-metric":
		if err := need("metricName", "metricValue"); err != nil {
			return nil, err
		}
		return self(commit.ActionUpdate, fields{"metrics": raw(map[string]json.RawMessage{d.str("metricName"): d["metricValue"]})}), nil
	case "add-feedback":
		if err := need("feedback"); err != nil {
			return nil, err
		}
		var fb fields
		if err := json.Unmarshal(d["feedback"], &fb); err != nil {
			return nil, fmt.Errorf("add-feedback: data.feedback: %w", err)
		}
		return self(commit.ActionAddFeedback, fb), nil
	case "evaluate":
		if err := need("evaluators"); err != nil {
			return nil, err
		}
		ev := fields{"with": raw("evaluators"), "evaluators": d["evaluators"]}
		if v, ok := d["variables"]; ok {
			ev["with"], ev["variables"] = raw("variables"), v
		}
		return self(commit.ActionEvaluate, ev), nil
	case "add-attachment":
		out := d.rename(map[string]string{"attachmentId": "id"})
		if _, ok := out["type"]; !ok {
			out["type"] = raw("url")
		}
		return self(commit.ActionAddAttachment, out), nil
	case "add-event":
		if err := need("eventId"); err != nil {
			return nil, err
		}
		return self(commit.ActionAddEvent, d.rename(map[string]string{"eventId": "id", "eventName": "name"})), nil
	case "add-input":
		return self(commit.ActionUpdate, fields{"input": d["input"]}), nil
	case "add-output":
		if ent == commit.EntityRetrieval {
			docs := d["output"]
			if len(bytes.TrimSpace(docs)) > 0 && bytes.TrimSpace(docs)[0] == '"' {
				docs = raw([]json.RawMessage{docs})
			}
			return self(commit.ActionUpdate, fields{"docs": docs}), nil
		}
		return self(commit.ActionUpdate, fields{"output": d["output"]}), nil
	case "add-result", "result":
		return self(commit.ActionResult, fields{"result": d["result"]}), nil

	// Children added to a trace or span: the child id gets the SDK's `id`.
	case "add-span":
		if ent == commit.EntitySpan {
			if err := need("childSpanId"); err != nil {
				return nil, err
			}
			return self(commit.ActionAddSpan, d.rename(map[string]string{"childSpanId": "id"})), nil
		}
		if err := need("spanId"); err != nil {
			return nil, err
		}
		return self(commit.ActionAddSpan, d.rename(map[string]string{"spanId": "id"})), nil
	case "add-generation":
		if err := need("generationId"); err != nil {
			return nil, err
		}
		return self(commit.ActionAddGeneration, d.rename(map[string]string{"generationId": "id"})), nil
	case "add-retrieval":
		if err := need("retrievalId"); err != nil {
			return nil, err
		}
		return self(commit.ActionAddRetrieval, d.rename(map[string]string{"retrievalId": "id"})), nil
	case "add-tool-call":
		if err := need("toolCallId"); err != nil {
			return nil, err
		}
		return self(commit.ActionAddToolCall, d.rename(map[string]string{"toolCallId": "id", "toolName": "name"})), nil
	case "add-error":
		if ent == commit.EntityToolCall {
			return self(commit.ActionError, fields{"error": raw(errorObj())}), nil
		}
		if err := need("errorId"); err != nil {
			return nil, err
		}
		out := d.rename(map[string]string{"errorId": "id", "errorMessage": "message", "errorCode": "code"})
		return self(commit.ActionAddError, out), nil
	}

	switch ent {
	case commit.EntityTrace:
		switch a.Action {
		case "start", "create":
			return self(commit.ActionCreate, d), nil
		case "add-to-session":
			return self(commit.ActionUpdate, fields{"sessionId": d["sessionId"]}), nil
		}
	case commit.EntitySession:
		switch a.Action {
		case "create", "start":
			return self(commit.ActionCreate, d), nil
		case "add-trace":
			if err := need("traceId"); err != nil {
				return nil, err
			}
			out := d.rename(nil, "traceId")
			out["sessionId"] = raw(a.EntityID)
			return []wire{{entity: commit.EntityTrace, id: d.str("traceId"), action: commit.ActionCreate, data: out}}, nil
		}
	case commit.EntityGeneration:
		switch a.Action {
		case "add-trace-generation", "add-span-generation":
			parentKey, parent := "traceId", commit.EntityTrace
			if a.Action == "add-span-generation" {
				parentKey, parent = "spanId", commit.EntitySpan
			}
			if err := need(parentKey); err != nil {
				return nil, err
			}
			out := d.rename(nil, parentKey)
			out["id"] = raw(a.EntityID)
			return []wire{{entity: parent, id: d.str(parentKey), action: commit.ActionAddGeneration, data: out}}, nil
		case "add-message":
			return self(commit.ActionUpdate, fields{"messages": d["message"]}), nil
		case "error":
			// The SDKs' generation.error(): a result holding the error.
			return self(commit.ActionResult, fields{"result": raw(fields{"error": raw(errorObj())})}), nil
		case "set-model":
			return self(commit.ActionUpdate, fields{"model": d["model"]}), nil
		case "set-model-parameters":
			return self(commit.ActionUpdate, fields{"modelParameters": d["modelParameters"]}), nil
		}
	case commit.EntitySpan:
		if a.Action == "add-trace-span" {
			if err := need("traceId"); err != nil {
				return nil, err
			}
			out := d.rename(nil, "traceId")
			out["id"] = raw(a.EntityID)
			return []wire{{entity: commit.EntityTrace, id: d.str("traceId"), action: commit.ActionAddSpan, data: out}}, nil
		}
	}
	return nil, fmt.Errorf("unknown action %q for entity %q", a.Action, a.Entity)
}

// translateSnapshot maps one entry of the batch API (a full entity snapshot
// `{id, type, …}` with parent refs traceId/spanId and inline feedback,
// metrics, evaluate, attachment(s), error, result) to SDK commits.
func translateSnapshot(s fields) ([]wire, error) {
	typ, id := s.str("type"), s.str("id")
	ent, ok := publicEntities[typ]
	if !ok && typ != "event" {
		return nil, fmt.Errorf("unknown type %q", typ)
	}
	if id == "" {
		return nil, fmt.Errorf("%s: missing id", typ)
	}
	inline := []string{"type", "feedback", "metrics", "evaluate", "attachment", "attachments", "error", "result", "traceId", "spanId", "endTimestamp"}
	base := s.rename(nil, inline...)
	base["id"] = raw(id)
	var out []wire

	parent, parentID := commit.EntityTrace, s.str("traceId")
	if sp := s.str("spanId"); sp != "" {
		parent, parentID = commit.EntitySpan, sp
	}
	addAction := map[string]commit.Action{
		"span": commit.ActionAddSpan, "generation": commit.ActionAddGeneration, "retrieval": commit.ActionAddRetrieval,
		"toolCall": commit.ActionAddToolCall, "tool_call": commit.ActionAddToolCall, "event": commit.ActionAddEvent,
	}[typ]
	switch {
	case typ == "event":
		if parentID == "" {
			return nil, fmt.Errorf("event %s: missing traceId or spanId", id)
		}
		return []wire{{entity: parent, id: parentID, action: commit.ActionAddEvent, data: base}}, nil
	case addAction != "" && parentID != "":
		out = append(out, wire{entity: parent, id: parentID, action: addAction, data: base})
		if ent == commit.EntitySpan {
			out = append(out, wire{entity: ent, id: id, action: commit.ActionCreate, data: base.rename(nil, "id")})
		}
	case ent == commit.EntitySession || ent == commit.EntityTrace || ent == commit.EntitySpan:
		out = append(out, wire{entity: ent, id: id, action: commit.ActionCreate, data: base.rename(nil, "id")})
	default:
		// A generation, retrieval or tool call without a parent: the
		// SDKs' id-only API does the same (implicit creation by update).
		out = append(out, wire{entity: ent, id: id, action: commit.ActionUpdate, data: base.rename(nil, "id")})
	}
	if v, ok := s["metrics"]; ok {
		out = append(out, wire{entity: ent, id: id, action: commit.ActionUpdate, data: fields{"metrics": v}})
	}
	if v, ok := s["feedback"]; ok {
		var fb fields
		if json.Unmarshal(v, &fb) == nil {
			out = append(out, wire{entity: ent, id: id, action: commit.ActionAddFeedback, data: fb})
		}
	}
	if v, ok := s["evaluate"]; ok {
		var ev fields
		if json.Unmarshal(v, &ev) == nil {
			if _, has := ev["with"]; !has {
				ev["with"] = raw("evaluators")
				if _, vars := ev["variables"]; vars {
					ev["with"] = raw("variables")
				}
			}
			out = append(out, wire{entity: ent, id: id, action: commit.ActionEvaluate, data: ev})
		}
	}
	for _, k := range []string{"attachment", "attachments"} {
		v, ok := s[k]
		if !ok {
			continue
		}
		var list []fields
		if json.Unmarshal(v, &list) != nil {
			var one fields
			if json.Unmarshal(v, &one) != nil {
				continue
			}
			list = []fields{one}
		}
		for _, att := range list {
			out = append(out, wire{entity: ent, id: id, action: commit.ActionAddAttachment, data: att.rename(map[string]string{"attachmentId": "id"})})
		}
	}
	if v, ok := s["result"]; ok {
		out = append(out, wire{entity: ent, id: id, action: commit.ActionResult, data: fields{"result": v}})
	}
	if v, ok := s["error"]; ok {
		if ent == commit.EntityGeneration {
			out = append(out, wire{entity: ent, id: id, action: commit.ActionResult, data: fields{"result": raw(fields{"error": v})}})
		} else {
			out = append(out, wire{entity: ent, id: id, action: commit.ActionError, data: fields{"error": v}})
		}
	}
	if v, ok := s["endTimestamp"]; ok {
		out = append(out, wire{entity: ent, id: id, action: commit.ActionEnd, data: fields{"endTimestamp": v}})
	}
	return out, nil
}

// seal turns translated commits into versioned, sealed commits of repo.
func (r *mxinReceiver) seal(repo string, ws []wire) []commit.Commit {
	first := r.versioner.Reserve(len(ws))
	out := make([]commit.Commit, 0, len(ws))
	for i, w := range ws {
		data := w.data
		if data == nil {
			data = fields{}
		}
		c := commit.Commit{Repo: repo, Entity: w.entity, EntityID: w.id, Action: w.action, Data: raw(data), Version: first + int64(i)}
		c.Seal()
		out = append(out, c)
	}
	return out
}

// handleLogging serves POST /v1/logging: one public-API action.
func (r *mxinReceiver) handleLogging(w http.ResponseWriter, req *http.Request) {
	// Authenticate before reading: the repository is in the body, but an
	// unauthenticated client must not make us read up to the body limit.
	ctx, ok := r.authenticate(w, req, "")
	if !ok {
		return
	}
	body, ok := r.readBody(w, req)
	if !ok {
		return
	}
	var a publicAction
	decErr := json.Unmarshal(body, &a)
	if decErr == nil && a.RepoID != "" && !repoAllowed(w, ctx, a.RepoID) {
		return
	}
	if decErr != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "message": "body is not a JSON action: " + decErr.Error()})
		return
	}
	if a.RepoID == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "message": "missing repoId"})
		return
	}
	ws, err := translateAction(a)
	if err != nil {
		r.refused(ctx, commit.Entity(a.Entity), commit.Action(a.Action), reasonMalformed, 1)
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "message": err.Error()})
		return
	}
	if r.nextLogs == nil {
		writeError(w, http.StatusNotFound, "this receiver is not in a logs pipeline")
		return
	}
	if err := r.consumeCommits(ctx, a.RepoID, r.seal(a.RepoID, ws)); err != nil {
		r.writeConsumerError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "entity": a.Entity, "action": a.Action, "entityId": a.EntityID})
}

// handleLoggingBatch serves POST /v1/logs/batch and /v1/logging/batch:
// `{repoId, logs:[snapshot…]}`. Bad entries are reported, good ones ingested.
func (r *mxinReceiver) handleLoggingBatch(w http.ResponseWriter, req *http.Request) {
	ctx, ok := r.authenticate(w, req, "")
	if !ok {
		return
	}
	body, ok := r.readBody(w, req)
	if !ok {
		return
	}
	var b struct {
		RepoID string   `json:"repoId"`
		Logs   []fields `json:"logs"`
	}
	decErr := json.Unmarshal(body, &b)
	if decErr == nil && b.RepoID != "" && !repoAllowed(w, ctx, b.RepoID) {
		return
	}
	if decErr != nil || b.RepoID == "" {
		msg := "missing repoId"
		if decErr != nil {
			msg = "body is not {repoId, logs:[…]}: " + decErr.Error()
		}
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "message": msg})
		return
	}
	if r.nextLogs == nil {
		writeError(w, http.StatusNotFound, "this receiver is not in a logs pipeline")
		return
	}
	var ws []wire
	var rejected []map[string]any
	for i, s := range b.Logs {
		out, err := translateSnapshot(s)
		if err != nil {
			r.refused(ctx, commit.Entity(s.str("type")), "", reasonMalformed, 1)
			if len(rejected) < maxReportedLines {
				rejected = append(rejected, map[string]any{"index": i, "reason": err.Error()})
			}
			continue
		}
		ws = append(ws, out...)
	}
	commits := r.seal(b.RepoID, ws)
	if err := r.consumeCommits(ctx, b.RepoID, commits); err != nil {
		r.writeConsumerError(w, err)
		return
	}
	resp := map[string]any{"success": true, "accepted": len(commits)}
	if len(rejected) > 0 {
		resp["rejected"] = rejected
	}
	writeJSON(w, http.StatusOK, resp)
}
