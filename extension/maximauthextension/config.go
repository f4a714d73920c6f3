package maximauthextension

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/config/configopaque"
)

// Config configures the maxim_auth extension.
type Config struct {
	// Keys are the accepted API keys, each scoped to the log repositories it
	// may read and write ("*" for all).
	Keys []KeyConfig `mapstructure:"keys"`

	// InsecureAllowAll turns authentication off: every request is accepted
	// and may use every repository. It exists for local development only and
	// must be set explicitly; the extension logs a warning when it starts.
	InsecureAllowAll bool `mapstructure:"insecure_allow_all"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// KeyConfig is one API key and the repositories it owns.
type KeyConfig struct {
	// Key is the value clients send in the x-maxim-api-key header.
	Key configopaque.String `mapstructure:"key"`
	// Repos lists repository ids the key may use; "*" means any.
	Repos []string `mapstructure:"repos"`
}

// Validate checks that the configuration cannot silently accept everyone.
func (cfg *Config) Validate() error {
	if len(cfg.Keys) == 0 && !cfg.InsecureAllowAll {
		return errors.New("no keys configured: add keys, or set insecure_allow_all: true for local development")
	}
	seen := make(map[string]int, len(cfg.Keys))
	var errs []error
	for i, k := range cfg.Keys {
		key := string(k.Key)
		if strings.TrimSpace(key) == "" {
			// An empty key would match requests that send an empty header,
			// which is indistinguishable from an unset environment variable.
			errs = append(errs, fmt.Errorf("keys[%d]: key is empty (is the environment variable set?)", i))
			continue
		}
		if j, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("keys[%d]: same key as keys[%d]", i, j))
		}
		seen[key] = i
		if len(k.Repos) == 0 {
			errs = append(errs, fmt.Errorf("keys[%d]: repos is empty; list repository ids or \"*\"", i))
		}
		for _, r := range k.Repos {
			if strings.TrimSpace(r) == "" {
				errs = append(errs, fmt.Errorf("keys[%d]: empty repository id", i))
			}
		}
	}
	return errors.Join(errs...)
}
