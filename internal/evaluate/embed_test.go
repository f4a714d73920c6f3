package evaluate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// engineEvaluator is how an engine may wrap Config with its own sampling
// and filter fields.
type engineEvaluator struct {
	Config `mapstructure:",squash"`
	Rate   float64  `mapstructure:"rate"`
	Kinds  []string `mapstructure:"entity_kinds"`
}

func TestConfigSquashedIntoAnEngineConfig(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{
		"evaluators": []any{map[string]any{
			"name": "relevance", "type": "llm_judge", "rate": 0.25, "entity_kinds": []any{"generation"},
			"judge": map[string]any{"base_url": "http://h/v1", "model": "m", "template": "relevance"},
		}},
	})
	var got struct {
		Evaluators []engineEvaluator `mapstructure:"evaluators"`
	}
	require.NoError(t, conf.Unmarshal(&got))
	require.Len(t, got.Evaluators, 1)
	e := got.Evaluators[0]
	assert.Equal(t, 0.25, e.Rate)
	assert.Equal(t, []string{"generation"}, e.Kinds)
	assert.Equal(t, "relevance", e.Name)
	assert.Equal(t, DefaultJudgeMaxRetries, e.Judge.MaxRetries, "defaults still filled")
	require.NoError(t, e.Config.Validate())

	// A misspelt key is still reported.
	bad := confmap.NewFromStringMap(map[string]any{
		"evaluators": []any{map[string]any{"name": "x", "type": "latency", "max_msec": 3}},
	})
	assert.Error(t, bad.Unmarshal(&got))
}
