package engine

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
)

// TestServeAcceptsPingingClients holds a stream open for 45s from a client
// pinging every 10s (gRPC's minimum; kiln's client pings every 30s). With
// gRPC's default enforcement (one ping per 5 minutes) the server would end
// the connection with GOAWAY too_many_pings at the third ping: the stream
// would fail.
func TestServeAcceptsPingingClients(t *testing.T) {
	requireEngine(t)
	if testing.Short() {
		t.Skip("holds a stream for 45s")
	}
	e := startEngine(t, t.TempDir())
	addr := "unix://" + filepath.Join(t.TempDir(), "s.sock")
	l, err := Listen(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	go e.Serve(l)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 10 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := healthv1.NewHealthClient(conn).Watch(ctx, &healthv1.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil { // the current status
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := stream.Recv() // nothing more comes unless the stream ends
		ended <- err
	}()
	select {
	case err := <-ended:
		t.Fatalf("the stream ended while the client pinged: %v", err)
	case <-time.After(45 * time.Second):
	}
}
