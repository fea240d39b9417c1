package league

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkNationalLeague generates synthetic signed submissions (LEAGUE_BENCH_ORGS
// organisations, default 3,334, × 3 cycles ≈ 10,000 files, 7 organisation types), imports
// them all into a new central database and builds every cycle's league table. It reports the
// import and build seconds and the process's peak RSS. Target: under 60 s and 1 GB together.
func BenchmarkNationalLeague(b *testing.B) {
	orgs := 3334
	if v, err := strconv.Atoi(os.Getenv("LEAGUE_BENCH_ORGS")); err == nil && v > 0 {
		orgs = v
	}
	const cycles = 3
	ctx := context.Background()
	pub, priv := newKeys(b)
	src := b.TempDir()
	genStart := time.Now()
	files := writeSynthetic(b, src, priv, orgs, cycles)
	b.ReportMetric(time.Since(genStart).Seconds(), "generate-s")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		st, err := Open(ctx, filepath.Join(b.TempDir(), "central.db"))
		if err != nil {
			b.Fatal(err)
		}
		st.SetChecklistFinder(synthFinder)
		if err := st.AddKeys(ctx, []Key{NewKey(pub, "", "bench.pub")}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := st.Import(ctx, files)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Status != Imported {
				b.Fatalf("%s: %s %s", r.File, r.Status, r.Reason)
			}
		}
		imported := time.Since(start)
		start = time.Now()
		cs, err := st.Cycles(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cs {
			bm, err := st.Benchmark(ctx, Filter{Cycle: c})
			if err != nil {
				b.Fatal(err)
			}
			if len(bm.Table.Rows) != orgs {
				b.Fatalf("cycle %s has %d rows, want %d", c, len(bm.Table.Rows), orgs)
			}
		}
		built := time.Since(start)
		st.Close()
		b.ReportMetric(float64(len(files)), "submissions")
		b.ReportMetric(imported.Seconds(), "import-s")
		b.ReportMetric(built.Seconds(), "league-build-s")
		b.ReportMetric((imported + built).Seconds(), "total-s")
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-rss-MiB") // Linux reports KiB
	}
}
