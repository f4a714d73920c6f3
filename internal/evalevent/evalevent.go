// Package evalevent writes a stored verdict (an `evaluate` commit with
// `with: "result"`, folded as tree.Evaluation) as the OpenTelemetry GenAI
// semantic conventions' gen_ai.evaluation.result event. It is the one
// mapping of a verdict to vendor attributes: tracetree_feed puts it on a
// span event of the judged SDK entity, genai_eval on the log record it
// emits for a judged OTLP span.
package evalevent

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-genai/otelcol-genai/internal/tree"
)

// The event and its attributes (semconv gen-ai events:
// gen_ai.evaluation.result).
const (
	EventName        = "gen_ai.evaluation.result"
	AttrName         = "gen_ai.evaluation.name"
	AttrScoreValue   = "gen_ai.evaluation.score.value"
	AttrScoreLabel   = "gen_ai.evaluation.score.label"
	AttrExplanation  = "gen_ai.evaluation.explanation"
	AttrResponseID   = "gen_ai.response.id"
	AttrErrorType    = "error.type"
	AttrMaximError   = "maxim.evaluation.error"
	AttrJudgeModel   = "maxim.evaluation.judge.model"
	errorTypeOfError = "evaluation_error"
)

// MaxAttrLen keeps values within what vendors accept (New Relic drops the
// part of a value beyond 4,095 characters; Datadog truncates too): cut
// here, on a rune boundary, so the cut is ours and predictable.
const MaxAttrLen = 4095

// Clip cuts s to MaxAttrLen bytes on a rune boundary.
func Clip(s string) string {
	if len(s) <= MaxAttrLen {
		return s
	}
	cut := MaxAttrLen
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}

// PutAttributes writes verdict e into a: gen_ai.evaluation.name, the score
// (.score.value), pass/fail (.score.label), the reason (.explanation); for
// a recorded judge error error.type and maxim.evaluation.error instead of
// a score; the judge's model when an LLM judged.
func PutAttributes(a pcommon.Map, e tree.Evaluation) {
	a.PutStr(AttrName, e.Evaluator)
	if e.Score != nil {
		a.PutDouble(AttrScoreValue, *e.Score)
	}
	if e.Pass != nil {
		label := "fail"
		if *e.Pass {
			label = "pass"
		}
		a.PutStr(AttrScoreLabel, label)
	}
	if e.Reason != "" {
		a.PutStr(AttrExplanation, Clip(e.Reason))
	}
	if e.Error != "" {
		a.PutStr(AttrErrorType, errorTypeOfError)
		a.PutStr(AttrMaximError, Clip(e.Error))
	}
	if j := e.Judge; j != nil && j.Model != "" {
		a.PutStr(AttrJudgeModel, j.Model)
	}
}
