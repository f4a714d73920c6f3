package mxinreceiver

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit/publicapi"
)

// The public logging API's handlers. Translating its vocabulary into SDK
// commits is pkg/commit/publicapi's job; here the actions are authenticated,
// versioned and consumed like SDK commits.

// seal turns translated commits into versioned, sealed commits of repo.
func (r *mxinReceiver) seal(repo string, ws []publicapi.Wire) []commit.Commit {
	first := r.versioner.Reserve(len(ws))
	out := make([]commit.Commit, 0, len(ws))
	for i, w := range ws {
		out = append(out, w.Commit(repo, first+int64(i)))
	}
	return out
}

// checkWires refuses translated actions that name a node by an id no
// reader could use (tree.CheckIDs, as for SDK lines): the action's ids
// (entityId, and traceId, spanId, sessionId or a child id from its data)
// become the commits' entity ids and edges.
func checkWires(ws []publicapi.Wire) error {
	for _, w := range ws {
		c := w.Commit("", 0)
		if err := tree.CheckIDs(&c); err != nil {
			return fmt.Errorf("%s %s: %w", c.Entity, c.Action, err)
		}
	}
	return nil
}

// handleLogging serves POST /v1/logging: one public-API action.
func (r *mxinReceiver) handleLogging(w http.ResponseWriter, req *http.Request) {
	// Authenticate before reading: the repository is in the body, but an
	// unauthenticated client must not make us read up to the body limit.
	ctx, ok := r.authenticate(w, req, "")
	if !ok {
		return
	}
	body, release, ok := r.readBody(w, req)
	if !ok {
		return
	}
	defer release()
	var a publicapi.Action
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
	ws, err := publicapi.TranslateAction(a)
	if err == nil {
		err = checkWires(ws)
	}
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
	body, release, ok := r.readBody(w, req)
	if !ok {
		return
	}
	defer release()
	var b struct {
		RepoID string             `json:"repoId"`
		Logs   []publicapi.Fields `json:"logs"`
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
	var ws []publicapi.Wire
	var rejected []map[string]any
	for i, s := range b.Logs {
		out, err := publicapi.TranslateSnapshot(s)
		if err == nil {
			err = checkWires(out)
		}
		if err != nil {
			r.refused(ctx, commit.Entity(s.Str("type")), "", reasonMalformed, 1)
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
