package genainormalizeprocessor

import (
	"context"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/normalize"
)

// Log record outcomes, the `outcome` attribute of
// otelcol_genai_normalize_log_records.
const (
	outcomeGenAIEvent = "genai_event" // a GenAI content event, joined to its generation
	outcomeSpanEvent  = "span_event"  // another record of a span: an event on that span's node
	outcomeNoSpan     = "no_span"     // no trace/span id: counted and dropped
	outcomeCommit     = "commit"      // already a commit record (Maxim SDK traffic, an agent's output)
)

// processLogs turns OTLP log records into commit records (the pkg/commit
// codec the tracetree exporter and the Kafka tier carry):
//
//   - a record that already is a commit passes through; it keeps its
//     repository when the request may write there (see keepCommitRepo);
//   - a record linked to a span becomes the commits of
//     spancommit.FromLogEvents (GenAI content events on the span's
//     generation, anything else as an event on the span's node);
//   - a record without a span is counted and dropped: it is never an error
//     for the client.
func (n *normalizer) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	repo := n.repo(ctx)
	may := mayKeepRepo(ctx)
	keyed := client.FromContext(ctx).Auth != nil
	var events []spancommit.LogEvent
	counts := map[string]int64{}
	var malformed int64
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		// A resource without the attribute (or with a non-string one)
		// names no repository; reading the missing Value would panic.
		resRepo := ""
		if v, ok := rl.Resource().Attributes().Get(commit.AttrRepoID); ok && v.Type() == pcommon.ValueTypeStr {
			resRepo = v.Str()
		}
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sls.At(j).LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				if isCommitRecord(lr) {
					counts[outcomeCommit]++
					keepCommitRepo(lr, resRepo, repo, may, keyed)
					return false
				}
				ev, bad, ok := normalize.LogRecord(lr)
				malformed += int64(bad)
				if !ok {
					counts[outcomeNoSpan]++
					return true
				}
				if ev.GenAI {
					counts[outcomeGenAIEvent]++
				} else {
					counts[outcomeSpanEvent]++
				}
				events = append(events, ev)
				return true
			})
		}
	}
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool { return sl.LogRecords().Len() == 0 })
		return rl.ScopeLogs().Len() == 0
	})
	if len(events) > 0 {
		commits := spancommit.FromLogEvents(events, repo, n.versioner)
		commit.LogsFromCommits(commits).ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	}
	for outcome, c := range counts {
		n.tel.GenaiNormalizeLogRecords.Add(ctx, c, metric.WithAttributes(attribute.String("outcome", outcome)))
	}
	if malformed > 0 {
		n.tel.GenaiNormalizeMalformedValues.Add(ctx, malformed)
	}
	if counts[outcomeNoSpan] > 0 {
		n.logger.Debug("dropped log records that name no span", zap.Int64("records", counts[outcomeNoSpan]))
	}
	return ld, nil
}

// isCommitRecord reports whether a record is a commit of the pkg/commit
// codec (it names its entity).
func isCommitRecord(lr plog.LogRecord) bool {
	v, ok := lr.Attributes().Get(commit.AttrEntity)
	return ok && v.Type() == pcommon.ValueTypeStr && v.Str() != ""
}

// keepCommitRepo applies to commit records the rule normalized spans
// follow: a record keeps the repository it names when the request's key
// may write there ("*" or listed), or when the request carries no key at
// all (then the client could name any repository by header anyway: keeping
// it grants nothing). Otherwise it is written into the request's
// repository, so a key scoped to one tenant cannot forge commits into
// another.
func keepCommitRepo(lr plog.LogRecord, resRepo string, repo string, may func(string) bool, keyed bool) {
	named := resRepo
	if v, ok := lr.Attributes().Get(commit.AttrRepoID); ok && v.Type() == pcommon.ValueTypeStr {
		named = v.Str()
	}
	if named != "" && (!keyed || may != nil && may(named)) {
		return
	}
	lr.Attributes().PutStr(commit.AttrRepoID, repo)
	// The commit id hashes the repository: the decoder computes the new one.
	lr.Attributes().Remove(commit.AttrCommitID)
}
