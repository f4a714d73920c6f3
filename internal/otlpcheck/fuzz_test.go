package otlpcheck

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// FuzzJSON checks the claim the otlp_guard middleware and mxin's OTLP
// endpoints rest on: any body JSON admits that pdata decodes as OTLP
// traces or logs can be encoded to protobuf and decoded again (the Kafka
// tier's and a vendor's hop), and Proto admits the re-encoded body. Seed
// corpus: testdata/fuzz/FuzzJSON (nested attribute values of both shapes at
// the depth bound).
func FuzzJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		if JSON(body) != nil {
			return
		}
		tr := ptraceotlp.NewExportRequest()
		if tr.UnmarshalJSON(body) == nil {
			pb, err := tr.MarshalProto()
			if err != nil {
				t.Fatal(err)
			}
			if err := ptraceotlp.NewExportRequest().UnmarshalProto(pb); err != nil {
				t.Fatalf("admitted traces that protobuf cannot carry: %v", err)
			}
			if err := Proto(pb, Traces); err != nil {
				t.Fatalf("JSON admits what Proto refuses: %v", err)
			}
		}
		lr := plogotlp.NewExportRequest()
		if lr.UnmarshalJSON(body) == nil {
			pb, err := lr.MarshalProto()
			if err != nil {
				t.Fatal(err)
			}
			if err := plogotlp.NewExportRequest().UnmarshalProto(pb); err != nil {
				t.Fatalf("admitted logs that protobuf cannot carry: %v", err)
			}
			if err := Proto(pb, Logs); err != nil {
				t.Fatalf("JSON admits what Proto refuses: %v", err)
			}
		}
	})
}
