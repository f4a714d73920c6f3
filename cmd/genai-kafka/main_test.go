package main

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/ci"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// TestBrokerWithKcat checks the broker with an independent, non-Go Kafka
// client: Debian's kcat produces records and reads them back.
func TestBrokerWithKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		ci.Unavailable(t, "kcat not installed (apt-get install kcat; .ci/run installs it)")
	}
	addr := freeAddr(t)
	cluster, err := startBroker(addr, "otlp_logs", 2, t.TempDir())
	require.NoError(t, err)
	defer cluster.Close()

	var in bytes.Buffer
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&in, "commit-%03d\n", i)
	}
	produce := exec.Command(kcat, "-b", addr, "-t", "otlp_logs", "-P", "-p", "0")
	produce.Stdin = &in
	out, err := produce.CombinedOutput()
	require.NoError(t, err, "kcat produce: %s", out)

	consume := exec.Command(kcat, "-b", addr, "-t", "otlp_logs", "-C", "-p", "0", "-o", "beginning", "-e", "-q")
	out, err = consume.Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 100)
	require.Equal(t, "commit-000", lines[0])
	require.Equal(t, "commit-099", lines[99])
}
