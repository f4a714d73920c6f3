package tracetreequery

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// liveEvent is the data of one `change` server-sent event.
type liveEvent struct {
	Repo     string           `json:"repo"`
	Nodes    []commit.NodeRef `json:"nodes"`
	Traces   []string         `json:"traces"`
	Sessions []string         `json:"sessions"`
	At       time.Time        `json:"at"`
}

// live streams store changes as server-sent events:
//
//	event: change  data: liveEvent JSON (nodes that changed and their roots)
//	event: resync  the store dropped changes for this subscriber (it was
//	               slow); the client should re-read what it shows
//	": heartbeat"  comment lines every live_heartbeat
//
// `trace` or `session` narrow the stream to changes under that root.
func (a *api) live(w http.ResponseWriter, r *http.Request) {
	repo, err := a.resolveRepo(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	traceID, sessionID := q.Get("trace"), q.Get("session")

	rc := http.NewResponseController(w)
	// The server's write_timeout is meant for ordinary answers; a stream
	// lives until the client leaves.
	_ = rc.SetWriteDeadline(time.Time{})

	ctx := r.Context()
	changes, cancel := a.st.Subscribe(ctx, repo)
	defer cancel()

	if a.opts.telemetry != nil {
		a.opts.telemetry.TracetreeQueryLiveSubscribers.Add(ctx, 1)
		defer a.opts.telemetry.TracetreeQueryLiveSubscribers.Add(ctx, -1)
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n: connected\n\n"); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		a.opts.logger.Debug("live stream cannot flush", zap.Error(err))
		return
	}

	hb := time.NewTicker(a.opts.heartbeat)
	defer hb.Stop()
	var seq uint64
	for {
		var out string
		select {
		case <-ctx.Done():
			return
		case <-a.opts.stop:
			return
		case <-hb.C:
			out = ": heartbeat\n\n"
		case ch, ok := <-changes:
			if !ok {
				// The store ended the subscription; tell the client to
				// re-read rather than silently going quiet.
				_, _ = fmt.Fprint(w, "event: resync\ndata: {}\n\n")
				_ = rc.Flush()
				return
			}
			if len(ch.Nodes) == 0 {
				out = "event: resync\ndata: {}\n\n"
				break
			}
			if traceID != "" && !slices.Contains(ch.Traces, traceID) {
				continue
			}
			if sessionID != "" && !slices.Contains(ch.Sessions, sessionID) {
				continue
			}
			b, err := json.Marshal(liveEvent{
				Repo: ch.Repo, Nodes: nonNil(ch.Nodes), Traces: nonNil(ch.Traces),
				Sessions: nonNil(ch.Sessions), At: ch.At,
			})
			if err != nil {
				a.opts.logger.Warn("live event encoding", zap.Error(err))
				continue
			}
			seq++
			out = fmt.Sprintf("id: %d\nevent: change\ndata: %s\n\n", seq, b)
		}
		if _, err := fmt.Fprint(w, out); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
