// Hand-written (see status.go); metadata_test.go checks the instruments
// against ../../metadata.yaml.

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
	MxinCommitsAccepted    metric.Int64Counter
	MxinCommitsRefused     metric.Int64Counter
	MxinBlobsStored        metric.Int64Counter
	MxinBlobBytesStored    metric.Int64Counter
	MxinRequestsOverloaded metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments described in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.MxinCommitsAccepted, err = m.Int64Counter(
		"otelcol_mxin_commits_accepted",
		metric.WithDescription("Commits handed to the logs pipeline and accepted by it, by entity and action. [Development]"),
		metric.WithUnit("{commit}"),
	)
	errs = errors.Join(errs, err)
	b.MxinCommitsRefused, err = m.Int64Counter(
		"otelcol_mxin_commits_refused",
		metric.WithDescription("Commits or lines not accepted, by entity, action and reason. [Development]"),
		metric.WithUnit("{commit}"),
	)
	errs = errors.Join(errs, err)
	b.MxinBlobsStored, err = m.Int64Counter(
		"otelcol_mxin_blobs_stored",
		metric.WithDescription("Blobs stored through the signed upload URL. [Development]"),
		metric.WithUnit("{blob}"),
	)
	errs = errors.Join(errs, err)
	b.MxinBlobBytesStored, err = m.Int64Counter(
		"otelcol_mxin_blob_bytes_stored",
		metric.WithDescription("Bytes of blobs stored through the signed upload URL. [Development]"),
		metric.WithUnit("By"),
	)
	errs = errors.Join(errs, err)
	b.MxinRequestsOverloaded, err = m.Int64Counter(
		"otelcol_mxin_requests_overloaded",
		metric.WithDescription("Requests refused with 429 by admission control (more request bytes in flight and waiting than admission allows). [Development]"),
		metric.WithUnit("{request}"),
	)
	errs = errors.Join(errs, err)
	return &b, errs
}
