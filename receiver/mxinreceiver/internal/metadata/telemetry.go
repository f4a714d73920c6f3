// Hand-written in the style of mdatagen's generated_telemetry.go; keep in
// sync with ../../metadata.yaml.

package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Meter returns the receiver's meter from the collector's own MeterProvider.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the receiver's instruments.
type TelemetryBuilder struct {
	ReceiverMxinCommitsAccepted metric.Int64Counter
	ReceiverMxinCommitsRefused  metric.Int64Counter
	ReceiverMxinBlobsStored     metric.Int64Counter
	ReceiverMxinBlobBytesStored metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments described in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.ReceiverMxinCommitsAccepted, err = m.Int64Counter(
		"otelcol_receiver_mxin_commits_accepted",
		metric.WithDescription("Commits handed to the logs pipeline and accepted by it, by entity and action. [Development]"),
		metric.WithUnit("{commit}"),
	)
	errs = errors.Join(errs, err)
	b.ReceiverMxinCommitsRefused, err = m.Int64Counter(
		"otelcol_receiver_mxin_commits_refused",
		metric.WithDescription("Commits or lines not accepted, by entity, action and reason. [Development]"),
		metric.WithUnit("{commit}"),
	)
	errs = errors.Join(errs, err)
	b.ReceiverMxinBlobsStored, err = m.Int64Counter(
		"otelcol_receiver_mxin_blobs_stored",
		metric.WithDescription("Blobs stored through the signed upload URL. [Development]"),
		metric.WithUnit("{blob}"),
	)
	errs = errors.Join(errs, err)
	b.ReceiverMxinBlobBytesStored, err = m.Int64Counter(
		"otelcol_receiver_mxin_blob_bytes_stored",
		metric.WithDescription("Bytes of blobs stored through the signed upload URL. [Development]"),
		metric.WithUnit("By"),
	)
	errs = errors.Join(errs, err)
	return &b, errs
}
