package commit

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// LogRecord attribute keys of the commit ⇄ LogRecord codec. Commits travel on
// the logs signal (one record per commit) so that stock OTel components —
// batch, kafka exporter/receiver with otlp_proto, persistent queues — carry
// them unchanged between tiers.
const (
	AttrRepoID   = "maxim.repo_id"
	AttrEntity   = "maxim.entity"
	AttrEntityID = "maxim.entity_id"
	AttrAction   = "maxim.action"
	AttrVersion  = "maxim.commit.version"
	AttrCommitID = "maxim.commit.id"
)

// ScopeName is the instrumentation scope of the records LogsFromCommits makes.
const ScopeName = "github.com/otelcol-genai/otelcol-genai/pkg/commit"

// LogsFromCommits encodes commits as logs: one LogRecord per commit, grouped
// into one ResourceLogs per repo (the repo is also on the resource, so a
// pipeline can route by it), in input order. The body is the data JSON as a
// string, verbatim; the record's observed timestamp is the version (it is a
// receive time in nanoseconds).
func LogsFromCommits(commits []Commit) plog.Logs {
	ld := plog.NewLogs()
	byRepo := map[string]plog.LogRecordSlice{}
	for i := range commits {
		c := &commits[i]
		recs, ok := byRepo[c.Repo]
		if !ok {
			rl := ld.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr(AttrRepoID, c.Repo)
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(ScopeName)
			recs = sl.LogRecords()
			byRepo[c.Repo] = recs
		}
		lr := recs.AppendEmpty()
		attrs := lr.Attributes()
		attrs.EnsureCapacity(6)
		attrs.PutStr(AttrRepoID, c.Repo)
		attrs.PutStr(AttrEntity, string(c.Entity))
		attrs.PutStr(AttrEntityID, c.EntityID)
		attrs.PutStr(AttrAction, string(c.Action))
		attrs.PutInt(AttrVersion, c.Version)
		id := c.ID
		if id.IsZero() {
			id = ComputeID(c.Repo, c.Entity, c.EntityID, c.Action, c.Data)
		}
		attrs.PutStr(AttrCommitID, id.String())
		lr.Body().SetStr(string(c.Data))
		if c.Version > 0 {
			lr.SetObservedTimestamp(pcommon.Timestamp(c.Version))
		}
	}
	return ld
}

// CommitsFromLogs decodes logs made by LogsFromCommits (or by hand) back into
// commits, in record order. Required attributes: entity, entity id, action,
// and the repo (on the record or the resource). A record without a version
// takes its observed timestamp, then its timestamp; without any of them it is
// an error. A record without a commit id gets one computed, so a hand-made
// record works. The body must be a string (or bytes) holding JSON (Python
// NaN/Infinity are sanitized); a map body is marshalled to JSON.
//
// Bad records do not stop decoding: the good commits are returned together
// with an error joining one error per bad record (naming its position).
func CommitsFromLogs(ld plog.Logs) ([]Commit, error) {
	var out []Commit
	var errs []error
	rls := ld.ResourceLogs()
	n := 0
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		resRepo, _ := rl.Resource().Attributes().Get(AttrRepoID)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			recs := sls.At(j).LogRecords()
			for k := 0; k < recs.Len(); k++ {
				n++
				c, err := commitFromRecord(recs.At(k), resRepo)
				if err != nil {
					errs = append(errs, fmt.Errorf("log record %d (resource %d, scope %d, record %d): %w", n, i, j, k, err))
					continue
				}
				out = append(out, c)
			}
		}
	}
	return out, errors.Join(errs...)
}

// ErrRecord is wrapped by every CommitsFromLogs record error.
var ErrRecord = errors.New("not a commit log record")

func commitFromRecord(lr plog.LogRecord, resRepo pcommon.Value) (Commit, error) {
	attrs := lr.Attributes()
	str := func(key string) (string, bool) {
		v, ok := attrs.Get(key)
		if !ok || v.Type() != pcommon.ValueTypeStr || v.Str() == "" {
			return "", false
		}
		return v.Str(), true
	}
	var c Commit
	var ok bool
	if c.Repo, ok = str(AttrRepoID); !ok {
		if resRepo.Type() == pcommon.ValueTypeStr && resRepo.Str() != "" {
			c.Repo = resRepo.Str()
		} else {
			return c, fmt.Errorf("%w: missing string attribute %s", ErrRecord, AttrRepoID)
		}
	}
	var s string
	if s, ok = str(AttrEntity); !ok {
		return c, fmt.Errorf("%w: missing string attribute %s", ErrRecord, AttrEntity)
	}
	c.Entity = Entity(s)
	if c.EntityID, ok = str(AttrEntityID); !ok {
		return c, fmt.Errorf("%w: missing string attribute %s", ErrRecord, AttrEntityID)
	}
	// The same ids as an SDK line may carry: a record is input too (OTLP
	// logs reach the store through the normalizer's commit pass-through).
	if err := CheckID(c.EntityID); err != nil {
		return c, fmt.Errorf("%w: attribute %s: %v", ErrRecord, AttrEntityID, err)
	}
	if s, ok = str(AttrAction); !ok {
		return c, fmt.Errorf("%w: missing string attribute %s", ErrRecord, AttrAction)
	}
	c.Action = Action(s)

	if v, ok := attrs.Get(AttrVersion); ok {
		switch v.Type() {
		case pcommon.ValueTypeInt:
			c.Version = v.Int()
		case pcommon.ValueTypeDouble:
			// A JSON round trip of the attributes can turn ints into doubles.
			c.Version = int64(v.Double())
		default:
			return c, fmt.Errorf("%w: attribute %s must be an int, got %s", ErrRecord, AttrVersion, v.Type())
		}
	} else if ts := lr.ObservedTimestamp(); ts != 0 {
		c.Version = int64(ts)
	} else if ts := lr.Timestamp(); ts != 0 {
		c.Version = int64(ts)
	} else {
		return c, fmt.Errorf("%w: missing attribute %s (and no timestamp to take it from)", ErrRecord, AttrVersion)
	}

	body := lr.Body()
	var raw []byte
	switch body.Type() {
	case pcommon.ValueTypeStr:
		raw = []byte(body.Str())
	case pcommon.ValueTypeBytes:
		raw = body.Bytes().AsRaw()
	case pcommon.ValueTypeMap:
		b, err := json.Marshal(body.Map().AsRaw())
		if err != nil {
			return c, fmt.Errorf("%w: map body: %v", ErrRecord, err)
		}
		raw = b
	case pcommon.ValueTypeEmpty:
		raw = []byte("{}")
	default:
		return c, fmt.Errorf("%w: body must be a JSON string, got %s", ErrRecord, body.Type())
	}
	if !utf8.Valid(raw) {
		return c, fmt.Errorf("%w: body is not valid UTF-8", ErrRecord)
	}
	data, err := SanitizeJSON(raw)
	if err != nil {
		return c, fmt.Errorf("%w: body is not JSON: %v", ErrRecord, err)
	}
	c.Data = data

	if s, ok := str(AttrCommitID); ok {
		if err := c.ID.UnmarshalText([]byte(s)); err != nil {
			return c, fmt.Errorf("%w: attribute %s %q is not 32 hex characters: %v", ErrRecord, AttrCommitID, s, err)
		}
	} else {
		c.Seal()
	}
	return c, nil
}
