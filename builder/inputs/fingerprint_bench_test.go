package inputs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchTree writes the monorepo context: 2,000 files, 100 MB, in
// 20 directories.
func benchTree(b *testing.B) []string {
	b.Helper()
	dir := b.TempDir()
	const n, size = 2000, 50 << 10
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, size)
	files := make([]string, 0, n)
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("svc%02d", i%20), fmt.Sprintf("f%04d.dat", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		files = append(files, p)
	}
	return files
}

// BenchmarkFingerprint measures a cold hash (every file read) and a warm
// one (stat cache hit: only stat), in files per second.
func BenchmarkFingerprint(b *testing.B) {
	files := benchTree(b)
	ctx := context.Background()
	b.Run("cold", func(b *testing.B) {
		b.SetBytes(int64(len(files)) * 50 << 10)
		for b.Loop() {
			if _, err := Fingerprint(ctx, files, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
	})
	b.Run("warm", func(b *testing.B) {
		var cache StatCache
		if _, err := Fingerprint(ctx, files, &cache); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := Fingerprint(ctx, files, &cache); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
	})
}
