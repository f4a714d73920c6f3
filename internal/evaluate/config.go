package evaluate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate/judge"
	"github.com/otelcol-genai/otelcol-genai/internal/evaluate/pii"
)

// Evaluator types, the values of Config.Type.
const (
	TypeLatency     = "latency"
	TypeTokenBudget = "token_budget"
	TypeCostBudget  = "cost_budget"
	TypeToolError   = "tool_error"
	TypeJSON        = "json"
	TypeJSONSchema  = "json_schema"
	TypeRegex       = "regex"
	TypeContains    = "contains"
	TypeNotContains = "not_contains"
	TypeEmpty       = "empty"
	TypeRefusal     = "refusal"
	TypePII         = "pii"
	TypeLLMJudge    = "llm_judge"
)

// Types lists every evaluator type New builds, in the README's order.
var Types = []string{
	TypeLatency, TypeTokenBudget, TypeCostBudget, TypeToolError, TypeJSON,
	TypeJSONSchema, TypeRegex, TypeContains, TypeNotContains, TypeEmpty,
	TypeRefusal, TypePII, TypeLLMJudge,
}

// Fields a text evaluator reads, the values of Config.Field.
const (
	FieldInput    = "input"
	FieldOutput   = "output"
	FieldMessages = "messages"
	FieldAll      = "all"
)

// Values of Config.Match for contains.
const (
	MatchAny = "any"
	MatchAll = "all"
)

// Config is one evaluator, as flat collector YAML. Name and Type are
// required; the other fields belong to the types named in their comments and
// are rejected by Validate on other types only where a mistake is likely
// (a judge block on a non-judge evaluator, a pattern on contains). Sampling
// and filters (rate, repository, kind, name, tags, model) are the engine's:
// it embeds or wraps this Config.
type Config struct {
	// Name is the evaluator's name on every verdict ("pii", "relevance").
	Name string `mapstructure:"name"`
	// Type is one of Types.
	Type string `mapstructure:"type"`
	// Field is the text a text evaluator reads: input, output, messages
	// (the conversation rendered "role: content" one per line) or all.
	// Default: all for pii, output for the others.
	Field string `mapstructure:"field"`

	// MaxMs (latency): the slowest passing duration in milliseconds.
	MaxMs float64 `mapstructure:"max_ms"`
	// MaxTokens, MaxInputTokens, MaxOutputTokens (token_budget): limits on
	// the entity's total, input and output tokens; at least one is set.
	MaxTokens       int64 `mapstructure:"max_tokens"`
	MaxInputTokens  int64 `mapstructure:"max_input_tokens"`
	MaxOutputTokens int64 `mapstructure:"max_output_tokens"`
	// MaxCostUSD (cost_budget): the most an entity may cost, in USD.
	MaxCostUSD float64 `mapstructure:"max_cost_usd"`

	// Schema (json_schema): a JSON Schema, inline as YAML or as a string of
	// JSON; SchemaFile reads it from a file instead. Exactly one is set.
	Schema     any    `mapstructure:"schema"`
	SchemaFile string `mapstructure:"schema_file"`

	// Pattern (regex): a Go RE2 regular expression; the output passes
	// when it matches, or when it does not with Invert.
	Pattern string `mapstructure:"pattern"`
	Invert  bool   `mapstructure:"invert"`

	// Values (contains, not_contains, refusal): the strings looked for.
	// For refusal they replace the default phrase list (DefaultRefusals).
	Values []string `mapstructure:"values"`
	// Match (contains): any (default) passes when one value occurs, all
	// when every value does.
	Match string `mapstructure:"match"`
	// CaseSensitive (regex, contains, not_contains, refusal): compare case
	// exactly; default false.
	CaseSensitive bool `mapstructure:"case_sensitive"`

	// Kinds (pii): the kinds to detect (pii.Kinds); default all.
	Kinds []string `mapstructure:"kinds"`
	// PhoneRegions (pii): ISO 3166 regions whose national phone formats
	// are recognised (numbers with a + or 00 prefix are recognised for
	// every region); default pii.DefaultPhoneRegions.
	PhoneRegions []string `mapstructure:"phone_regions"`

	// Judge (llm_judge): the judge endpoint, prompt and limits.
	Judge JudgeConfig `mapstructure:"judge"`
}

// JudgeConfig is an LLM judge: an OpenAI-compatible chat endpoint, the
// prompt template and the call limits.
type JudgeConfig struct {
	// BaseURL is the API root: POST {base_url}/chat/completions.
	BaseURL string `mapstructure:"base_url"`
	Model   string `mapstructure:"model"`
	// Provider is the provider id the price table prices the judge's own
	// usage with ("openai", "azure", ...); empty: by the model name.
	Provider string              `mapstructure:"provider"`
	APIKey   configopaque.String `mapstructure:"api_key"`
	// AuthHeader is how the key is sent: bearer (Authorization: Bearer,
	// default) or api-key (Azure OpenAI's api-key header).
	AuthHeader string `mapstructure:"auth_header"`

	// Template is relevance, faithfulness, safety or custom.
	Template string `mapstructure:"template"`
	// Prompt is the custom template's prompt, with the variables
	// {{input}}, {{output}}, {{context}} and {{expected}}.
	Prompt string `mapstructure:"prompt"`
	// Threshold: a score at or above it passes. Default 0.5.
	Threshold float64 `mapstructure:"threshold"`

	// Timeout bounds each attempt. Default 30s.
	Timeout time.Duration `mapstructure:"timeout"`
	// MaxRetries is how many times a failed attempt (429, 5xx, network
	// error, timeout, unreadable verdict) is retried. Default 2.
	MaxRetries int `mapstructure:"max_retries"`
	// InitialBackoff and MaxBackoff bound the exponential backoff between
	// attempts (with full jitter); a Retry-After header wins, up to
	// MaxBackoff. Defaults 500ms and 30s.
	InitialBackoff time.Duration `mapstructure:"initial_backoff"`
	MaxBackoff     time.Duration `mapstructure:"max_backoff"`
	// Concurrency is how many calls may be in flight at once. Default 4.
	Concurrency int `mapstructure:"concurrency"`
	// RequestsPerSecond limits the call rate (retries included); 0: no
	// limit.
	RequestsPerSecond float64 `mapstructure:"requests_per_second"`
	// ResponseFormat is json_object (default: ask for a JSON object, as
	// OpenAI, Azure, vLLM and Ollama support) or none (for servers that
	// reject response_format).
	ResponseFormat string `mapstructure:"response_format"`
}

// Judge defaults, applied by JudgeConfig.Unmarshal and, for fields whose zero is
// meaningless, by New.
const (
	DefaultJudgeThreshold      = 0.5
	DefaultJudgeTimeout        = 30 * time.Second
	DefaultJudgeMaxRetries     = 2
	DefaultJudgeInitialBackoff = 500 * time.Millisecond
	DefaultJudgeMaxBackoff     = 30 * time.Second
	DefaultJudgeConcurrency    = 4
)

// Unmarshal decodes one evaluator entry strictly (unknown keys are
// errors). An engine that adds its own keys (sampling, filters) splits them
// off first and passes the rest here, as genai_eval does; squashing Config
// into a larger struct would make its keys unknown here.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	*c = Config{}
	return conf.Unmarshal(c)
}

// Unmarshal fills the defaults before decoding a judge block, so a judge in
// a YAML list of evaluators gets them (the collector's factories cannot
// pre-fill list elements) and an explicit `max_retries: 0` stays 0.
func (j *JudgeConfig) Unmarshal(conf *confmap.Conf) error {
	*j = defaultJudge()
	return conf.Unmarshal(j)
}

func defaultJudge() JudgeConfig {
	return JudgeConfig{
		AuthHeader:     judge.AuthBearer,
		Threshold:      DefaultJudgeThreshold,
		Timeout:        DefaultJudgeTimeout,
		MaxRetries:     DefaultJudgeMaxRetries,
		InitialBackoff: DefaultJudgeInitialBackoff,
		MaxBackoff:     DefaultJudgeMaxBackoff,
		Concurrency:    DefaultJudgeConcurrency,
		ResponseFormat: judge.ResponseFormatJSON,
	}
}

// Validate reports the first mistake in c, naming the field.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.Name) == "" {
		return errors.New("name: required")
	}
	wrap := func(err error) error {
		if err == nil {
			return nil
		}
		return fmt.Errorf("evaluator %q: %w", c.Name, err)
	}
	return wrap(c.validate())
}

func (c *Config) validate() error {
	known := false
	for _, t := range Types {
		known = known || c.Type == t
	}
	if !known {
		if c.Type == "" {
			return errors.New("type: required")
		}
		return fmt.Errorf("type: unknown %q (one of %s)", c.Type, strings.Join(Types, ", "))
	}
	switch c.Field {
	case "", FieldInput, FieldOutput, FieldMessages, FieldAll:
	default:
		return fmt.Errorf("field: unknown %q (input, output, messages or all)", c.Field)
	}
	if c.Type != TypeLLMJudge && c.Judge.BaseURL != "" {
		return fmt.Errorf("judge: set on a %s evaluator (only llm_judge uses it)", c.Type)
	}
	if c.Type != TypeRegex && c.Pattern != "" {
		return fmt.Errorf("pattern: set on a %s evaluator (only regex uses it)", c.Type)
	}
	switch c.Type {
	case TypeLatency:
		return positive("max_ms", c.MaxMs)
	case TypeTokenBudget:
		if c.MaxTokens < 0 || c.MaxInputTokens < 0 || c.MaxOutputTokens < 0 {
			return errors.New("max_tokens, max_input_tokens, max_output_tokens: must not be negative")
		}
		if c.MaxTokens == 0 && c.MaxInputTokens == 0 && c.MaxOutputTokens == 0 {
			return errors.New("max_tokens: required (or max_input_tokens / max_output_tokens)")
		}
	case TypeCostBudget:
		return positive("max_cost_usd", c.MaxCostUSD)
	case TypeJSONSchema:
		_, err := c.schemaDocument()
		return err
	case TypeRegex:
		if c.Pattern == "" {
			return errors.New("pattern: required")
		}
		if _, err := regexp.Compile(c.Pattern); err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
	case TypeContains, TypeNotContains:
		if len(c.Values) == 0 {
			return errors.New("values: required")
		}
		for i, v := range c.Values {
			if v == "" {
				return fmt.Errorf("values[%d]: empty string", i)
			}
		}
		switch c.Match {
		case "", MatchAny, MatchAll:
		default:
			return fmt.Errorf("match: unknown %q (any or all)", c.Match)
		}
		if c.Type == TypeNotContains && c.Match != "" {
			return errors.New("match: only for contains (not_contains fails on any value)")
		}
	case TypeRefusal:
		for i, v := range c.Values {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("values[%d]: empty string", i)
			}
		}
	case TypePII:
		if err := (pii.Config{Kinds: c.Kinds, PhoneRegions: c.PhoneRegions}).Validate(); err != nil {
			return err
		}
	case TypeLLMJudge:
		if err := c.Judge.validate(); err != nil {
			return fmt.Errorf("judge: %w", err)
		}
	}
	return nil
}

func positive(field string, v float64) error {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s: must be a positive number, got %v", field, v)
	}
	return nil
}

// schemaDocument returns the JSON Schema as JSON bytes, from Schema (a YAML
// mapping or a JSON string) or SchemaFile.
func (c *Config) schemaDocument() ([]byte, error) {
	switch {
	case c.Schema == nil && c.SchemaFile == "":
		return nil, errors.New("schema: required (inline, or schema_file)")
	case c.Schema != nil && c.SchemaFile != "":
		return nil, errors.New("schema, schema_file: set one, not both")
	case c.SchemaFile != "":
		b, err := os.ReadFile(c.SchemaFile)
		if err != nil {
			return nil, fmt.Errorf("schema_file: %w", err)
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("schema_file: %s is not JSON", c.SchemaFile)
		}
		return b, nil
	}
	if s, ok := c.Schema.(string); ok {
		if !json.Valid([]byte(s)) {
			return nil, errors.New("schema: a string schema must be JSON")
		}
		return []byte(s), nil
	}
	b, err := json.Marshal(c.Schema)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return b, nil
}

// validate reports the first mistake in a judge block, naming the field.
// It is unexported so the collector's config walker, which calls every
// nested Validate, does not judge the empty judge block of a pii
// evaluator: Config.Validate calls it for llm_judge only.
func (j *JudgeConfig) validate() error {
	if err := j.clientConfig().Validate(); err != nil {
		return err
	}
	if _, err := judge.NewTemplate(j.Template, j.Prompt); err != nil {
		return err
	}
	if j.Threshold < 0 || j.Threshold > 1 || math.IsNaN(j.Threshold) {
		return fmt.Errorf("threshold: must be in [0, 1], got %v", j.Threshold)
	}
	return nil
}

// clientConfig is the judge client's part of the block, with the
// defaults for fields whose zero means nothing.
func (j *JudgeConfig) clientConfig() judge.Config {
	c := judge.Config{
		BaseURL:           j.BaseURL,
		Model:             j.Model,
		Provider:          j.Provider,
		APIKey:            string(j.APIKey),
		AuthHeader:        j.AuthHeader,
		Timeout:           j.Timeout,
		MaxRetries:        j.MaxRetries,
		InitialBackoff:    j.InitialBackoff,
		MaxBackoff:        j.MaxBackoff,
		Concurrency:       j.Concurrency,
		RequestsPerSecond: j.RequestsPerSecond,
		ResponseFormat:    j.ResponseFormat,
	}
	d := defaultJudge()
	if c.AuthHeader == "" {
		c.AuthHeader = d.AuthHeader
	}
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = d.InitialBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = d.MaxBackoff
	}
	if c.Concurrency == 0 {
		c.Concurrency = d.Concurrency
	}
	if c.ResponseFormat == "" {
		c.ResponseFormat = d.ResponseFormat
	}
	return c
}

// field is the text a text evaluator reads, with the type's default.
func (c Config) field() string {
	switch {
	case c.Field != "":
		return c.Field
	case c.Type == TypePII:
		return FieldAll
	default:
		return FieldOutput
	}
}
