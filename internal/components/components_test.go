package components

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"gopkg.in/yaml.v3"
)

// manifestEntry is one component line of builder-config.yaml.
type manifestEntry struct {
	GoMod  string `yaml:"gomod"`
	Import string `yaml:"import"`
	Path   string `yaml:"path"`
}

type manifest struct {
	Dist struct {
		Name       string `yaml:"name"`
		OutputPath string `yaml:"output_path"`
	} `yaml:"dist"`
	Receivers  []manifestEntry `yaml:"receivers"`
	Processors []manifestEntry `yaml:"processors"`
	Exporters  []manifestEntry `yaml:"exporters"`
	Extensions []manifestEntry `yaml:"extensions"`
	Connectors []manifestEntry `yaml:"connectors"`
	Providers  []manifestEntry `yaml:"providers"`
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "builder-config.yaml"))
	require.NoError(t, err)
	var m manifest
	require.NoError(t, yaml.Unmarshal(raw, &m))
	return m
}

func keysOf(entries []manifestEntry) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.GoMod+"|"+e.Import)
	}
	slices.Sort(out)
	return out
}

func moduleKeys[F component.Factory](mods []Module[F]) []string {
	out := make([]string, 0, len(mods))
	for _, m := range mods {
		out = append(out, m.GoMod+"|"+m.Import)
	}
	slices.Sort(out)
	return out
}

// TestListMatchesManifest fails when builder-config.yaml and the in-process
// list disagree: a component added to one must be added to the other.
func TestListMatchesManifest(t *testing.T) {
	m := readManifest(t)
	assert.Equal(t, "otelcol-genai", m.Dist.Name)
	assert.Equal(t, keysOf(m.Receivers), moduleKeys(Receivers()), "receivers")
	assert.Equal(t, keysOf(m.Processors), moduleKeys(Processors()), "processors")
	assert.Equal(t, keysOf(m.Exporters), moduleKeys(Exporters()), "exporters")
	assert.Equal(t, keysOf(m.Extensions), moduleKeys(Extensions()), "extensions")
	assert.Equal(t, keysOf(m.Connectors), moduleKeys(Connectors()), "connectors")

	var providers []string
	for _, p := range Providers() {
		providers = append(providers, p.GoMod+"|")
	}
	slices.Sort(providers)
	assert.Equal(t, keysOf(m.Providers), providers, "providers")

	// Our own components are built from this checkout, never a published copy.
	for _, group := range [][]manifestEntry{m.Receivers, m.Processors, m.Exporters, m.Connectors, m.Extensions} {
		for _, e := range group {
			if e.Import != "" {
				assert.Equal(t, "./", e.Path, "%s must be replaced by the local module", e.Import)
			}
		}
	}
}

// TestFactories checks that the list builds and carries every component type
// the distribution promises (the README's component table).
func TestFactories(t *testing.T) {
	f, err := Factories()
	require.NoError(t, err)
	want := map[string][]string{
		"receivers":  {"otlp", "kafka", "mxin", "tracetree_feed"},
		"processors": {"batch", "memory_limiter", "cumulativetodelta", "genai_normalize"},
		"exporters":  {"otlp_grpc", "otlp_http", "debug", "kafka", "prometheus", "tracetree"},
		"connectors": {"genai_metrics"},
		"extensions": {"health_check", "pprof", "zpages", "file_storage", "maxim_auth", "tracetree_store", "tracetree_query"},
	}
	have := map[string][]string{}
	for typ := range f.Receivers {
		have["receivers"] = append(have["receivers"], typ.String())
	}
	for typ := range f.Processors {
		have["processors"] = append(have["processors"], typ.String())
	}
	for typ := range f.Exporters {
		have["exporters"] = append(have["exporters"], typ.String())
	}
	for typ := range f.Connectors {
		have["connectors"] = append(have["connectors"], typ.String())
	}
	for typ := range f.Extensions {
		have["extensions"] = append(have["extensions"], typ.String())
	}
	for kind, types := range want {
		for _, typ := range types {
			assert.Contains(t, have[kind], typ, "%s must include %q", kind, typ)
		}
	}
}
