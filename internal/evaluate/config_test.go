package evaluate

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

type fileConfig struct {
	Evaluators []Config `mapstructure:"evaluators"`
}

func loadConfigs(t *testing.T) []Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	var fc fileConfig
	require.NoError(t, cm.Unmarshal(&fc))
	return fc.Evaluators
}

func TestConfigLoadsEveryType(t *testing.T) {
	cfgs := loadConfigs(t)
	seen := map[string]bool{}
	for _, c := range cfgs {
		require.NoError(t, c.Validate(), c.Name)
		ev, err := New(c, Settings{})
		require.NoError(t, err, c.Name)
		assert.Equal(t, c.Name, ev.Name())
		seen[c.Type] = true
	}
	for _, typ := range Types {
		assert.True(t, seen[typ], "testdata/config.yaml has no %s evaluator", typ)
	}

	byName := map[string]Config{}
	for _, c := range cfgs {
		byName[c.Name] = c
	}
	rel := byName["relevance"].Judge
	assert.Equal(t, 0.7, rel.Threshold)
	assert.Equal(t, 10*time.Second, rel.Timeout)
	assert.Equal(t, 0, rel.MaxRetries, "an explicit max_retries: 0 stays 0")
	assert.Equal(t, "sk-test", string(rel.APIKey))
	tone := byName["tone"].Judge
	assert.Equal(t, DefaultJudgeThreshold, tone.Threshold, "defaults fill list elements")
	assert.Equal(t, DefaultJudgeMaxRetries, tone.MaxRetries)
	assert.Equal(t, DefaultJudgeTimeout, tone.Timeout)
	assert.Equal(t, "api-key", tone.AuthHeader)
	assert.Equal(t, FieldAll, byName["pii"].field())
	assert.Equal(t, FieldOutput, byName["non-empty"].field())
}

func TestConfigValidateNamesTheField(t *testing.T) {
	judgeOK := JudgeConfig{BaseURL: "http://localhost:8080/v1", Model: "m", Template: "relevance"}
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Type: TypeLatency, MaxMs: 1}, "name: required"},
		{Config{Name: "x"}, "type: required"},
		{Config{Name: "x", Type: "sentiment"}, `type: unknown "sentiment"`},
		{Config{Name: "x", Type: TypeEmpty, Field: "body"}, `field: unknown "body"`},
		{Config{Name: "x", Type: TypeLatency}, "max_ms: must be a positive number"},
		{Config{Name: "x", Type: TypeTokenBudget}, "max_tokens: required"},
		{Config{Name: "x", Type: TypeTokenBudget, MaxTokens: -1}, "must not be negative"},
		{Config{Name: "x", Type: TypeCostBudget, MaxCostUSD: -2}, "max_cost_usd: must be a positive number"},
		{Config{Name: "x", Type: TypeJSONSchema}, "schema: required"},
		{Config{Name: "x", Type: TypeJSONSchema, Schema: "{nope"}, "schema: a string schema must be JSON"},
		{Config{Name: "x", Type: TypeJSONSchema, Schema: "{}", SchemaFile: "a.json"}, "set one, not both"},
		{Config{Name: "x", Type: TypeJSONSchema, SchemaFile: "testdata/missing.json"}, "schema_file:"},
		{Config{Name: "x", Type: TypeRegex}, "pattern: required"},
		{Config{Name: "x", Type: TypeRegex, Pattern: "a("}, "pattern: error parsing regexp"},
		{Config{Name: "x", Type: TypeContains, Pattern: "a"}, "pattern: set on a contains evaluator"},
		{Config{Name: "x", Type: TypeContains}, "values: required"},
		{Config{Name: "x", Type: TypeContains, Values: []string{"a", ""}}, "values[1]: empty string"},
		{Config{Name: "x", Type: TypeContains, Values: []string{"a"}, Match: "some"}, `match: unknown "some"`},
		{Config{Name: "x", Type: TypeNotContains, Values: []string{"a"}, Match: "all"}, "match: only for contains"},
		{Config{Name: "x", Type: TypeRefusal, Values: []string{" "}}, "values[0]: empty string"},
		{Config{Name: "x", Type: TypePII, Kinds: []string{"email", "dna"}}, `kinds[1]: unknown "dna"`},
		{Config{Name: "x", Type: TypePII, PhoneRegions: []string{"XX"}}, `phone_regions[0]: unknown region "XX"`},
		{Config{Name: "x", Type: TypeEmpty, Judge: judgeOK}, "judge: set on a empty evaluator"},
		{Config{Name: "x", Type: TypeLLMJudge}, "judge: base_url: required"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "ftp://h", Model: "m", Template: "safety"}}, "judge: base_url: \"ftp://h\" is not an http(s) URL"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Template: "safety"}}, "judge: model: required"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m"}}, "judge: template: required"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "tone"}}, `judge: template: unknown "tone"`},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "custom"}}, "judge: prompt: required"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "custom", Prompt: "Rate {{answer}}"}}, "judge: prompt: unknown variable {{answer}}"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "safety", Prompt: "x"}}, "judge: prompt: only for the custom template"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "safety", Threshold: 1.5}}, "judge: threshold: must be in [0, 1]"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "safety", AuthHeader: "basic"}}, `judge: auth_header: unknown "basic"`},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "safety", MaxRetries: -1}}, "judge: max_retries: must not be negative"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "safety", Concurrency: -1}}, "judge: concurrency: must be positive"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "safety", RequestsPerSecond: -1}}, "judge: requests_per_second: must be a non-negative number"},
		{Config{Name: "x", Type: TypeLLMJudge, Judge: JudgeConfig{BaseURL: "http://h", Model: "m", Template: "safety", ResponseFormat: "xml"}}, `judge: response_format: unknown "xml"`},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
			if c.cfg.Name != "" {
				assert.True(t, strings.HasPrefix(err.Error(), `evaluator "x": `), err.Error())
			}
		}
		_, err = New(c.cfg, Settings{})
		assert.Error(t, err, "New validates too: %s", c.want)
	}
}
