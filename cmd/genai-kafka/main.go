// Command genai-kafka runs a small Kafka-protocol broker on loopback so the
// tiered setup (agent → Kafka → indexer, configs/agent.yaml and
// configs/gateway.yaml) can be tried on one machine without installing Kafka.
// It is franz-go's kfake, the same fake the contrib Kafka components test
// against; any Kafka client (kcat, the contrib kafka receiver/exporter) can
// talk to it.
//
//	go run ./cmd/genai-kafka -addr 127.0.0.1:9092
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "genai-kafka:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("genai-kafka", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9092", "listen address of the single broker")
	topics := fs.String("topics", "genai_commits,genai_spans", "comma-separated topics to create at start (others are auto-created); the defaults are the ones configs/agent-kafka.yaml and configs/gateway.yaml use")
	partitions := fs.Int("partitions", 4, "partitions per seeded topic")
	dataDir := fs.String("data-dir", "", "persist topics and offsets in this directory (empty: memory only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cluster, err := startBroker(*addr, *topics, *partitions, *dataDir)
	if err != nil {
		return err
	}
	defer cluster.Close()
	fmt.Printf("genai-kafka: broker listening on %s\n", strings.Join(cluster.ListenAddrs(), ","))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// startBroker starts a one-broker kfake cluster listening on addr.
func startBroker(addr, topics string, partitions int, dataDir string) (*kfake.Cluster, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("bad -addr %q: %w", addr, err)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(partitions),
		// kfake listens on the port it is given; bind it to the requested
		// host so a laptop broker is never exposed beyond loopback by accident.
		kfake.ListenFn(func(network, a string) (net.Listener, error) {
			_, p, err := net.SplitHostPort(a)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort(host, p))
		}),
	}
	var portNum int
	if _, err := fmt.Sscanf(port, "%d", &portNum); err != nil {
		return nil, fmt.Errorf("bad port in -addr %q: %w", addr, err)
	}
	opts = append(opts, kfake.Ports(portNum))
	if t := strings.TrimSpace(topics); t != "" {
		opts = append(opts, kfake.SeedTopics(int32(partitions), strings.Split(t, ",")...))
	}
	if dataDir != "" {
		// Sync every produce: an acknowledged record survives kill -9 of
		// the broker, which the tier tests rely on.
		opts = append(opts, kfake.DataDir(dataDir), kfake.SyncWrites())
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("starting broker: %w", err)
	}
	return cluster, nil
}
