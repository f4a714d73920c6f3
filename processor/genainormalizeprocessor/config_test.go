package genainormalizeprocessor

import (
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr bool
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig().(*Config)},
		{id: component.NewIDWithName(metadata.Type, "custom"), want: &Config{
			DefaultRepo: "repo-prod", RepoMetadataKey: "x-tenant-repo", KeepRawAttributes: false, MaxAttributeBytes: 65536, GenAIAttributes: false, GenAIContent: false}},
		{id: component.NewIDWithName(metadata.Type, "bad_repo"), wantErr: true},
		{id: component.NewIDWithName(metadata.Type, "bad_size"), wantErr: true},
		{id: component.NewIDWithName(metadata.Type, "vendors"), want: func() *Config {
			c := createDefaultConfig().(*Config)
			c.GenAIContent = true
			return c
		}()},
		{id: component.NewIDWithName(metadata.Type, "content_without_view"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			if err != nil {
				t.Fatal(err)
			}
			if err := sub.Unmarshal(cfg); err != nil {
				t.Fatal(err)
			}
			err = confmap.Validate(cfg)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Validate() = nil, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if *cfg.(*Config) != *tt.want {
				t.Fatalf("config = %+v, want %+v", cfg, tt.want)
			}
		})
	}
}

func TestDefaultConfigValid(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	if cfg.DefaultRepo != "default" || cfg.RepoMetadataKey != "x-maxim-repo-id" || !cfg.KeepRawAttributes {
		t.Fatalf("unexpected defaults %+v", cfg)
	}
}
