package genainormalizeprocessor

import (
	"errors"
	"regexp"
)

// Config is the genai_normalize processor configuration.
type Config struct {
	// DefaultRepo is the log repository for spans whose request carried no
	// `x-maxim-repo-id` metadata (the otlp receiver must run with
	// `include_metadata: true` for request metadata to reach processors).
	DefaultRepo string `mapstructure:"default_repo"`
	// RepoMetadataKey is the client metadata key holding the repo id.
	RepoMetadataKey string `mapstructure:"repo_metadata_key"`
	// KeepRawAttributes keeps the source attributes next to the canonical
	// ones (minus the large payloads the canonical ones duplicate). When
	// false only `maxim.*` attributes remain on the span.
	KeepRawAttributes bool `mapstructure:"keep_raw_attributes"`
	// MaxAttributeBytes caps one canonical string attribute (messages,
	// documents, tool results). Longer values are cut and counted, never
	// rejected. 0 disables the cap.
	MaxAttributeBytes int `mapstructure:"max_attribute_bytes"`
	// GenAIAttributes also writes the OpenTelemetry GenAI view (gen_ai.*)
	// of the canonical fields onto each span, so exporters that forward
	// spans to vendors send clean gen_ai.* data whatever convention the
	// client used. Keys the span already carries are kept as sent.
	GenAIAttributes bool `mapstructure:"genai_attributes"`
	// GenAIContent adds the content of that view — input and output
	// messages, system instructions, tool arguments and results, retrieved
	// documents — re-encoded in the GenAI parts format. Only pipelines that
	// forward spans to vendors need it: the store and the metrics connector
	// read the canonical maxim.* attributes and the view's dimensions, and
	// re-encoding every message was a tenth of the collector's CPU under
	// OTLP load. Needs genai_attributes.
	GenAIContent bool `mapstructure:"genai_content"`
}

var repoPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs error
	if c.DefaultRepo == "" {
		errs = errors.Join(errs, errors.New("default_repo must not be empty: spans without x-maxim-repo-id need a repository"))
	} else if !repoPattern.MatchString(c.DefaultRepo) {
		errs = errors.Join(errs, errors.New("default_repo must be 1-128 characters of letters, digits, '.', '_', ':' or '-'"))
	}
	if c.RepoMetadataKey == "" {
		errs = errors.Join(errs, errors.New("repo_metadata_key must not be empty"))
	}
	if c.MaxAttributeBytes < 0 {
		errs = errors.Join(errs, errors.New("max_attribute_bytes must be >= 0"))
	}
	if c.GenAIContent && !c.GenAIAttributes {
		errs = errors.Join(errs, errors.New("genai_content needs genai_attributes: true (the content is part of the gen_ai.* view)"))
	}
	if c.MaxAttributeBytes > 0 && c.MaxAttributeBytes < 1024 {
		errs = errors.Join(errs, errors.New("max_attribute_bytes must be 0 (no cap) or at least 1024"))
	}
	return errs
}
