package mxinreceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Reasons recorded on otelcol_mxin_commits_refused.
const (
	reasonMalformed         = "malformed"
	reasonUnknownEntity     = "unknown_entity"
	reasonLargeLogPending   = "large_log_pending"
	reasonLargeLogMalformed = "large_log_malformed"
	reasonForeignKey        = "foreign_key"
	reasonPipeline          = "pipeline"
)

const receiverFormat = "mxin"

// maxReportedLines bounds the per-line report in a response: a body of a
// million bad lines must not produce a response of the same size.
const maxReportedLines = 100

// knownEntities are the entities the SDKs put on the wire (docs/protocol.md §2.2).
var knownEntities = map[commit.Entity]bool{
	commit.EntitySession: true, commit.EntityTrace: true, commit.EntitySpan: true,
	commit.EntityGeneration: true, commit.EntityRetrieval: true, commit.EntityToolCall: true,
	commit.EntityError: true, commit.EntityStorage: true,
}

// pushReport is the body of an accepted push. It is a JSON object without an
// `error` key (what every SDK needs to count the push as done); lines that
// were not ingested are explained under `rejected` and `pending`.
type pushReport struct {
	Data pushData `json:"data"`
}

type pushData struct {
	Success  bool `json:"success"`
	Accepted int  `json:"accepted"`
	// Rejected lists lines that were dropped (malformed); they will never
	// be ingested, and resending them does not help.
	Rejected      []commit.LineError `json:"rejected,omitempty"`
	RejectedCount int                `json:"rejectedCount,omitempty"`
	// Pending lists process-large-log lines whose uploaded line is not
	// stored yet: the storage commit is kept, and the line is ingested as
	// soon as its upload arrives.
	Pending      []commit.LineError `json:"pending,omitempty"`
	PendingCount int                `json:"pendingCount,omitempty"`
}

func (d *pushData) reject(e commit.LineError) {
	d.RejectedCount++
	if len(d.Rejected) < maxReportedLines {
		d.Rejected = append(d.Rejected, e)
	}
}

func (d *pushData) pend(e commit.LineError) {
	d.PendingCount++
	if len(d.Pending) < maxReportedLines {
		d.Pending = append(d.Pending, e)
	}
}

// handlePush serves POST /api/sdk/v3/log?id=<repo>: the SDK commit log.
func (r *mxinReceiver) handlePush(w http.ResponseWriter, req *http.Request) {
	repo := req.URL.Query().Get("id")
	ctx, ok := r.authenticate(w, req, repo)
	if !ok {
		return
	}
	if repo == "" {
		writeError(w, http.StatusBadRequest, "missing query parameter id (the log repository)")
		return
	}
	if r.nextLogs == nil {
		writeError(w, http.StatusNotFound, "this receiver is not in a logs pipeline")
		return
	}
	body, release, ok := r.readBody(w, req)
	if !ok {
		return
	}
	defer release()

	// The body is parsed and consumed pushChunk commits at a time, so a
	// request holds the commits of one chunk, not of the whole body; at
	// most maxReportedLines bad lines are detailed (a body of millions of
	// them costs its size, not a LineError per line). A chunk the pipeline
	// refuses fails the push, and the SDK resends all of it: the chunks
	// already consumed are stored again as the same commits (commit ids
	// are content hashes), which changes nothing.
	var report pushData
	accepted := 0
	var blobErr error
	parsed, err := commit.ParseBodyChunks(repo, body, r.versioner, maxReportedLines, pushChunk,
		func(p *commit.Parsed, commits []commit.Commit) error {
			commits, err := r.prepare(ctx, repo, p.LineOf, commits, &report)
			if err != nil {
				blobErr = err
				return err
			}
			if err := r.consumeCommits(ctx, repo, commits); err != nil {
				return err
			}
			accepted += len(commits)
			return nil
		})
	for _, e := range parsed.Errors {
		report.reject(e)
	}
	report.RejectedCount += parsed.Failed - len(parsed.Errors)
	if parsed.Failed > 0 {
		r.refused(ctx, "", "", reasonMalformed, parsed.Failed)
	}
	switch {
	case blobErr != nil:
		// A blob-store failure: the whole batch is resent.
		r.logger.Warn("mxin: reading large-log blobs failed", zap.String("repo", repo), zap.Error(blobErr))
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "blob storage unavailable; resend later")
		return
	case err != nil:
		r.writeConsumerError(w, err)
		return
	}
	// Parse errors and refusals after parsing, by line.
	slices.SortStableFunc(report.Rejected, func(a, b commit.LineError) int { return a.Line - b.Line })
	if report.RejectedCount > 0 {
		r.logger.Info("mxin: push had lines that were not ingested",
			zap.String("repo", repo), zap.Int("rejected", report.RejectedCount),
			zap.Any("first", report.Rejected[0]))
	}
	report.Success = true
	report.Accepted = accepted
	writeJSON(w, http.StatusOK, pushReport{Data: report})
}

// pushChunk is how many commits of a push are parsed and consumed at a
// time (see handlePush).
const pushChunk = 32768

// prepare checks entities and replaces process-large-log commits by the line
// they point at. A storage commit whose blob is not there yet is kept (so the
// pointer is durable with the rest of the batch) and registered so that the
// upload, when it arrives, ingests the line.
func (r *mxinReceiver) prepare(ctx context.Context, repo string, lineOf func(*commit.Commit) int, commits []commit.Commit, report *pushData) ([]commit.Commit, error) {
	out := commits[:0]
	for i := range commits {
		c := commits[i]
		if !knownEntities[c.Entity] {
			report.reject(commit.LineError{Line: lineOf(&c), Reason: fmt.Sprintf("unknown entity %q", c.Entity), Text: truncate(string(commit.FormatLine(&c)))})
			r.refused(ctx, c.Entity, c.Action, reasonUnknownEntity, 1)
			continue
		}
		// The line's own id passed ParseLine; the ids its data names
		// (child, session, parent) must be readable too.
		if err := tree.CheckIDs(&c); err != nil {
			report.reject(commit.LineError{Line: lineOf(&c), Reason: err.Error(), Text: truncate(string(commit.FormatLine(&c)))})
			r.refused(ctx, c.Entity, c.Action, reasonMalformed, 1)
			continue
		}
		key, isLarge := commit.LargeLogKey(&c)
		if !isLarge {
			out = append(out, c)
			continue
		}
		if !strings.HasPrefix(key, repo+"/") {
			// A key of another repository would let a caller read
			// blobs it has no access to.
			report.reject(commit.LineError{Line: lineOf(&c), Reason: fmt.Sprintf("large-log key %q is not in repository %q", key, repo)})
			r.refused(ctx, c.Entity, c.Action, reasonForeignKey, 1)
			continue
		}
		resolved, reason, err := r.resolveLargeLog(ctx, repo, key, c)
		if err != nil {
			return nil, err
		}
		switch reason {
		case "":
			out = append(out, resolved)
		case reasonLargeLogPending:
			report.pend(commit.LineError{Line: lineOf(&c), Reason: fmt.Sprintf("large-log blob %q not uploaded yet; it is ingested when the upload arrives", key)})
			r.refused(ctx, c.Entity, c.Action, reasonLargeLogPending, 1)
			out = append(out, c)
		default:
			// The uploaded line is unusable (or cannot be fetched at
			// all): no resend can fix it, so it is reported, counted and
			// logged rather than kept; the blob stays in storage.
			report.reject(commit.LineError{Line: lineOf(&c), Reason: reason})
			r.refused(ctx, c.Entity, c.Action, reasonLargeLogMalformed, 1)
		}
	}
	return out, nil
}

// pendingMarker records a process-large-log commit whose blob has not been
// uploaded; it is stored next to the blob key.
type pendingMarker struct {
	Repo    string `json:"repo"`
	Version int64  `json:"version"`
}

// pendingKey is the storage key of the marker for a large log not uploaded
// yet (the store's BlobPending namespace).
func pendingKey(key string) string { return store.PendingKey(store.ClientKey(key)).Name }

// linkLargeLog ties an ingested large log to the node its line became, so
// retention deleting that node's trace deletes the offloaded line too
// (store.LargeLogLink). Keys outside the large-log namespace are not linked.
func (r *mxinReceiver) linkLargeLog(ctx context.Context, key string, c commit.Commit) error {
	link, ok := store.LargeLogLink(c.Node(), store.ClientKey(key))
	if !ok {
		return nil
	}
	if err := r.blobs.Set(ctx, link.Name, []byte(key)); err != nil {
		return fmt.Errorf("set %q: %w", link.Name, err)
	}
	return nil
}

// resolveLargeLog fetches the line a storage commit points at. It returns
// the parsed commit, or a non-empty reason (pending, or why the stored line
// is malformed), or an error when the blob store failed.
func (r *mxinReceiver) resolveLargeLog(ctx context.Context, repo, key string, storageCommit commit.Commit) (commit.Commit, string, error) {
	if r.blobs == nil {
		return commit.Commit{}, "large-log line cannot be fetched: no blob_storage configured", nil
	}
	line, err := r.blobs.Get(ctx, key)
	if err != nil {
		return commit.Commit{}, "", fmt.Errorf("get %q: %w", key, err)
	}
	if line == nil {
		marker, _ := json.Marshal(pendingMarker{Repo: repo, Version: storageCommit.Version})
		if err := r.blobs.Set(ctx, pendingKey(key), marker); err != nil {
			return commit.Commit{}, "", fmt.Errorf("set %q: %w", pendingKey(key), err)
		}
		return commit.Commit{}, reasonLargeLogPending, nil
	}
	// The stored line takes the storage commit's version: it stands where
	// the SDK put the pointer in its batch.
	c, err := commit.ParseLine(repo, line, storageCommit.Version)
	if err != nil {
		return commit.Commit{}, fmt.Sprintf("large-log blob %q: %v", key, err), nil
	}
	if !knownEntities[c.Entity] || c.Entity == commit.EntityStorage {
		return commit.Commit{}, fmt.Sprintf("large-log blob %q: unexpected entity %q", key, c.Entity), nil
	}
	if err := tree.CheckIDs(&c); err != nil {
		return commit.Commit{}, fmt.Sprintf("large-log blob %q: %v", key, err), nil
	}
	if err := r.linkLargeLog(ctx, key, c); err != nil {
		return commit.Commit{}, "", err
	}
	return c, "", nil
}

// consumeCommits hands commits to the logs pipeline, one LogRecord each, with
// the repository in the request metadata, and records telemetry.
func (r *mxinReceiver) consumeCommits(ctx context.Context, repo string, commits []commit.Commit) error {
	if len(commits) == 0 {
		return nil
	}
	ctx = withRepo(ctx, repo)
	ld := commit.LogsFromCommits(commits)
	ctx = r.obsLogs.StartLogsOp(ctx)
	err := r.nextLogs.ConsumeLogs(ctx, ld)
	r.obsLogs.EndLogsOp(ctx, receiverFormat, len(commits), err)
	counts := countByKind(commits)
	for k, n := range counts {
		if err != nil {
			r.refused(ctx, k.entity, k.action, reasonPipeline, n)
		} else {
			r.telemetry.MxinCommitsAccepted.Add(ctx, int64(n), metric.WithAttributes(
				attribute.String("entity", string(k.entity)), attribute.String("action", string(k.action))))
		}
	}
	if err != nil {
		return fmt.Errorf("consume %d commits: %w", len(commits), err)
	}
	return nil
}

type kind struct {
	entity commit.Entity
	action commit.Action
}

func countByKind(commits []commit.Commit) map[kind]int {
	m := make(map[kind]int, 8)
	for i := range commits {
		m[kind{commits[i].Entity, commits[i].Action}]++
	}
	return m
}

func (r *mxinReceiver) refused(ctx context.Context, e commit.Entity, a commit.Action, reason string, n int) {
	r.telemetry.MxinCommitsRefused.Add(ctx, int64(n), metric.WithAttributes(
		attribute.String("entity", string(e)), attribute.String("action", string(a)), attribute.String("reason", reason)))
}

func truncate(s string) string {
	if len(s) > commit.MaxErrorText {
		return strings.ToValidUTF8(s[:commit.MaxErrorText], "") + "…"
	}
	return s
}

// handleRepoCheck serves GET /api/sdk/v3/log-repositories?loggerId=<repo>,
// the SDKs' startup check that the repository exists. Every repository the
// key may use "exists": repositories are created by their first commit.
func (r *mxinReceiver) handleRepoCheck(w http.ResponseWriter, req *http.Request) {
	repo := req.URL.Query().Get("loggerId")
	if repo == "" {
		repo = req.URL.Query().Get("id")
	}
	if _, ok := r.authenticate(w, req, repo); !ok {
		return
	}
	if repo == "" {
		writeError(w, http.StatusBadRequest, "missing query parameter loggerId")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"id": repo, "name": repo}})
}
