package genainormalizeprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-genai/otelcol-genai/connector/genaimetricsconnector"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
)

// FuzzProcessTraces runs the processor on arbitrary OTLP: body is an
// ExportTraceServiceRequest in protobuf, as the otlp receiver hands it on
// (any resources, scopes, spans, events, links and attribute values, any
// of them already marked normalized). Bits of opts pick the options and
// whether the request names a repository. For any body pdata decodes:
//   - the processor returns no error and drops no span;
//   - every span it hands on is one it would pass through (marker and a
//     known kind), and a second run changes nothing (byte-identical);
//   - the output survives protobuf encoding and decoding (the Kafka tier and
//     the vendors' OTLP intakes decode it again);
//   - the genai_metrics connector aggregates and flushes it without error;
//   - spancommit.FromTraces turns it into commits without error, each with
//     valid JSON data and ids the store admits (tree.CheckIDs), so the
//     tracetree exporter never drops an OTLP span's commit.
//
// Seed corpus: testdata/fuzz/FuzzProcessTraces (the golden inputs, their
// normalized output, and that output with the kind or marker broken).
func FuzzProcessTraces(f *testing.F) {
	f.Add(uint8(0), []byte{})
	// One processor per option set, made once: creating one per input
	// would spend the fuzzing time on telemetry setup. Inputs run one at
	// a time in a fuzzing process, so the sinks are not shared.
	type instance struct {
		p    processor.Traces
		sink *consumertest.TracesSink
	}
	instances := map[uint8]instance{}
	f.Fuzz(func(t *testing.T, opts uint8, body []byte) {
		req := ptraceotlp.NewExportRequest()
		if req.UnmarshalProto(body) != nil {
			return
		}
		td := req.Traces()
		spans := td.SpanCount()
		cfg := createDefaultConfig().(*Config)
		cfg.KeepRawAttributes = opts&1 != 0
		cfg.GenAIAttributes = opts&2 != 0
		if opts&4 != 0 {
			cfg.MaxAttributeBytes = 1024
		}
		ctx := context.Background()
		if opts&8 != 0 {
			ctx = client.NewContext(ctx, client.Info{Metadata: client.NewMetadata(map[string][]string{"x-maxim-repo-id": {"repo-f"}})})
		}
		inst, ok := instances[opts&7]
		if !ok {
			inst.sink = new(consumertest.TracesSink)
			var err error
			inst.p, err = NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, inst.sink)
			if err != nil {
				t.Fatal(err)
			}
			instances[opts&7] = inst
		}
		p, sink := inst.p, inst.sink
		sink.Reset()
		if err := p.ConsumeTraces(ctx, td); err != nil {
			t.Fatalf("processor refused the batch: %v", err)
		}
		if spans == 0 && len(sink.AllTraces()) == 0 {
			return // nothing to hand on
		}
		out := sink.AllTraces()[0]
		if out.SpanCount() != spans {
			t.Fatalf("%d spans in, %d out", spans, out.SpanCount())
		}
		forEachSpan(out, func(sp ptrace.Span) {
			if _, ok := spancommit.NormalizedKind(sp.Attributes()); !ok {
				t.Fatalf("span handed on unnormalized: %v", sp.Attributes().AsRaw())
			}
		})

		first, err := ptraceotlp.NewExportRequestFromTraces(out).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		again := ptraceotlp.NewExportRequest()
		if err := again.UnmarshalProto(first); err != nil {
			t.Fatalf("the output does not decode from protobuf: %v", err)
		}
		if err := p.ConsumeTraces(ctx, again.Traces()); err != nil {
			t.Fatal(err)
		}
		second, err := ptraceotlp.NewExportRequestFromTraces(sink.AllTraces()[1]).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("a second run changed normalized spans")
		}

		// The genai_metrics connector reads the same canonical attributes
		// beside the exporter: whatever values a pre-normalized span
		// carries, it aggregates and flushes without failing.
		metrics := new(consumertest.MetricsSink)
		conn, err := genaimetricsconnector.NewFactory().CreateTracesToMetrics(context.Background(),
			connectortest.NewNopSettings(genaimetricsconnector.NewFactory().Type()), genaimetricsconnector.NewFactory().CreateDefaultConfig(), metrics)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.Start(context.Background(), componenttest.NewNopHost()); err != nil {
			t.Fatal(err)
		}
		if err := conn.ConsumeTraces(ctx, out); err != nil {
			t.Fatalf("genai_metrics: %v", err)
		}
		if err := conn.Shutdown(context.Background()); err != nil {
			t.Fatalf("genai_metrics flush: %v", err)
		}

		commits, err := spancommit.FromTraces(out, commit.NewVersioner())
		if err != nil {
			t.Fatalf("FromTraces: %v", err)
		}
		for i := range commits {
			c := &commits[i]
			if !json.Valid(c.Data) {
				t.Fatalf("%s %s: data is not JSON: %q", c.Entity, c.Action, c.Data)
			}
			if err := tree.CheckIDs(c); err != nil {
				t.Fatalf("%s %s: the store would drop it: %v", c.Entity, c.Action, err)
			}
		}
	})
}

func forEachSpan(td ptrace.Traces, fn func(ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				fn(spans.At(k))
			}
		}
	}
}
