package evaluate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

func TestConfigUnmarshalIsStrictAndFillsJudgeDefaults(t *testing.T) {
	var c Config
	require.NoError(t, c.Unmarshal(confmap.NewFromStringMap(map[string]any{
		"name": "relevance", "type": "llm_judge",
		"judge": map[string]any{"base_url": "http://h/v1", "model": "m", "template": "relevance", "max_retries": 0},
	})))
	assert.Equal(t, DefaultJudgeTimeout, c.Judge.Timeout)
	assert.Equal(t, DefaultJudgeConcurrency, c.Judge.Concurrency)
	assert.Equal(t, 0, c.Judge.MaxRetries, "an explicit 0 stays 0")
	require.NoError(t, c.Validate())

	err := c.Unmarshal(confmap.NewFromStringMap(map[string]any{"name": "x", "type": "latency", "max_msec": 3}))
	assert.ErrorContains(t, err, "max_msec", "a misspelt key is reported")
}

// The collector validates a component config by walking every nested
// struct and calling its Validate: a pii evaluator's empty judge block must
// not be judged on its own.
func TestConfigWalkerValidatesOnlyConfig(t *testing.T) {
	type component struct {
		Evaluators []Config `mapstructure:"evaluators"`
	}
	ok := &component{Evaluators: []Config{{Name: "pii", Type: TypePII}}}
	require.NoError(t, confmap.Validate(ok))
	bad := &component{Evaluators: []Config{{Name: "pii", Type: TypePII, Kinds: []string{"dna"}}}}
	assert.ErrorContains(t, confmap.Validate(bad), `kinds[0]: unknown "dna"`)
}
