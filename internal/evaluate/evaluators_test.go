package evaluate

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"go.opentelemetry.io/collector/confmap"
	"gopkg.in/yaml.v3"
)

// TestEvaluators pins each evaluator type's verdicts, one file per type
// under testdata/evaluators. Regenerate after an intended change with
//
//	go test ./internal/evaluate/ -run TestEvaluators -rewrite
//
// and read the diff. Commands:
//
//	evaluator
//	<the evaluator's YAML config>
//	----
//	ok | <the Validate/New error>
//
//	eval
//	<the subject as YAML: kind, name, input, output, messages
//	 [{role, content}], context [..], expected, error, latency_ms,
//	 cost_usd, input_tokens, output_tokens, total_tokens>
//	----
//	pass|fail <score> | <reason>   or   error: <error>
func TestEvaluators(t *testing.T) {
	datadriven.Walk(t, "testdata/evaluators", func(t *testing.T, path string) {
		var ev Evaluator
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "evaluator":
				var raw map[string]any
				if err := yaml.Unmarshal([]byte(d.Input), &raw); err != nil {
					d.Fatalf(t, "config: %v", err)
				}
				var cfg Config
				if err := confmap.NewFromStringMap(raw).Unmarshal(&cfg); err != nil {
					return "error: " + err.Error() + "\n"
				}
				var err error
				if ev, err = New(cfg, Settings{}); err != nil {
					return "error: " + err.Error() + "\n"
				}
				return "ok\n"
			case "eval":
				if ev == nil {
					d.Fatalf(t, "eval before evaluator")
				}
				s := subjectFromYAML(t, d)
				r, err := ev.Evaluate(context.Background(), s)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				if r.Evaluator != ev.Name() {
					t.Errorf("%s: result names evaluator %q, want %q", d.Pos, r.Evaluator, ev.Name())
				}
				if r.Score < 0 || r.Score > 1 {
					t.Errorf("%s: score %v outside [0, 1]", d.Pos, r.Score)
				}
				verdict := "fail"
				if r.Pass {
					verdict = "pass"
				}
				return fmt.Sprintf("%s %.4g | %s\n", verdict, r.Score, r.Reason)
			default:
				d.Fatalf(t, "unknown command %q", d.Cmd)
				return ""
			}
		})
	})
}

type yamlSubject struct {
	Kind         string            `yaml:"kind"`
	Name         string            `yaml:"name"`
	Input        string            `yaml:"input"`
	Output       string            `yaml:"output"`
	Messages     []Message         `yaml:"messages"`
	Context      []string          `yaml:"context"`
	Expected     string            `yaml:"expected"`
	Error        string            `yaml:"error"`
	LatencyMs    *float64          `yaml:"latency_ms"`
	CostUSD      *float64          `yaml:"cost_usd"`
	InputTokens  int64             `yaml:"input_tokens"`
	OutputTokens int64             `yaml:"output_tokens"`
	TotalTokens  int64             `yaml:"total_tokens"`
	Tags         map[string]string `yaml:"tags"`
}

func subjectFromYAML(t *testing.T, d *datadriven.TestData) Subject {
	var y yamlSubject
	if strings.TrimSpace(d.Input) != "" {
		if err := yaml.Unmarshal([]byte(d.Input), &y); err != nil {
			d.Fatalf(t, "subject: %v", err)
		}
	}
	s := Subject{
		Repo: "r", TraceID: "t1", EntityID: "e1", Kind: y.Kind, Name: y.Name,
		Input: y.Input, Output: y.Output, Messages: y.Messages, Context: y.Context,
		Expected: y.Expected, Error: y.Error, Tags: y.Tags,
		InputTokens: y.InputTokens, OutputTokens: y.OutputTokens, TotalTokens: y.TotalTokens,
	}
	if s.Kind == "" {
		s.Kind = "generation"
	}
	if y.LatencyMs != nil {
		s.LatencyMs, s.HasLatency = *y.LatencyMs, true
	}
	if y.CostUSD != nil {
		s.CostUSD, s.HasCost = *y.CostUSD, true
	}
	return s
}
