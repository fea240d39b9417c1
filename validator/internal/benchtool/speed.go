package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nhs-jigsaw/jigsaw/validator"
)

// speed measures, side by side in one process on the same bytes held in memory: encoding/json's
// Valid (the floor: a syntax check and nothing else) on one core, and Jigsaw's validator with
// GOMAXPROCS and its workers set to each of -cores. The runs are interleaved and repeated, and
// the median and the spread (min–max) of each are reported, because the machine is shared.
func speed(args []string) error {
	fs := flag.NewFlagSet("speed", flag.ExitOnError)
	in := fs.String("in", "bench.ndjson", "input file (NDJSON, or one JSON document such as a Bundle)")
	repeat := fs.Int("repeat", 5, "runs of each measurement")
	coresFlag := fs.String("cores", "1,2", "GOMAXPROCS values to run the validator with")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the validator runs to this file")
	fs.Parse(args)
	var prof *os.File
	if *cpuProfile != "" {
		var err error
		if prof, err = os.Create(*cpuProfile); err != nil {
			return err
		}
		defer prof.Close()
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var cores []int
	for _, s := range strings.Split(*coresFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-cores: %q is not a core count", s)
		}
		cores = append(cores, n)
	}
	ndjson := bytes.Count(data, []byte("\n")) > 1 && bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) && isNDJSON(data)
	mb := float64(len(data)) / (1 << 20)
	validators := map[int]*validator.Validator{}
	for _, c := range cores {
		v, err := validator.New(validator.R4, validator.WithWorkers(c))
		if err != nil {
			return err
		}
		validators[c] = v
	}
	before := availableCores(cores[len(cores)-1])
	jsonRuns, jsonCPU := []float64{}, []float64{}
	jigCPU := map[int][]float64{}
	jigUse := map[int][]float64{} // CPU seconds per wall second: how many cores the run got
	jigRuns := map[int][]float64{}
	var resources int
	for r := 0; r < *repeat; r++ {
		runtime.GOMAXPROCS(1)
		runtime.GC()
		c0 := cpuSeconds()
		t0 := time.Now()
		if ndjson {
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(make([]byte, 1<<20), 64<<20)
			for sc.Scan() {
				if l := sc.Bytes(); len(l) > 0 && !json.Valid(l) {
					return fmt.Errorf("json.Valid rejects a line of %s", *in)
				}
			}
		} else if !json.Valid(data) {
			return fmt.Errorf("json.Valid rejects %s", *in)
		}
		jsonRuns = append(jsonRuns, mb/time.Since(t0).Seconds())
		jsonCPU = append(jsonCPU, mb/(cpuSeconds()-c0))
		// Every other round runs the core counts in reverse order: the run that comes
		// second in a round was measured slower (by a fifth for a large Bundle), whichever
		// it was, so a fixed order would favour one configuration.
		order := cores
		if r%2 == 1 {
			order = slices.Clone(cores)
			slices.Reverse(order)
		}
		for _, c := range order {
			runtime.GOMAXPROCS(c)
			runtime.GC()
			if prof != nil && c == cores[0] {
				if err := pprof.StartCPUProfile(prof); err != nil {
					return err
				}
			}
			c0 := cpuSeconds()
			t0 := time.Now()
			sum, err := validators[c].ValidateStream(context.Background(), bytes.NewReader(data), func(validator.Result) error { return nil })
			if prof != nil && c == cores[0] {
				pprof.StopCPUProfile()
				prof.Close()
				prof = nil
				if r < *repeat-1 { // keep the last run's profile
					if prof, err = os.Create(*cpuProfile); err != nil {
						return err
					}
				}
			}
			if err != nil {
				return err
			}
			jigRuns[c] = append(jigRuns[c], mb/time.Since(t0).Seconds())
			cpu, wall := cpuSeconds()-c0, time.Since(t0).Seconds()
			jigCPU[c] = append(jigCPU[c], mb/cpu)
			jigUse[c] = append(jigUse[c], cpu/wall)
			resources = sum.Resources
		}
	}
	runtime.GOMAXPROCS(runtime.NumCPU())
	kind := "one document"
	if ndjson {
		kind = "NDJSON, json.Valid per line"
	}
	fmt.Printf("%s: %.1f MB, %d resources (%s), %d runs each, interleaved; MB/s median [min-max]\n", *in, mb, resources, kind, *repeat)
	jm := median(jsonRuns)
	fmt.Printf("  json.Valid          1 core   %7.1f MB/s [%.1f-%.1f]\n", jm, minOf(jsonRuns), maxOf(jsonRuns))
	for _, c := range cores {
		m := median(jigRuns[c])
		fmt.Printf("  jigsaw validator  %2d core%s %7.1f MB/s [%.1f-%.1f]  %.2fx json.Valid", c, plural(c), m, minOf(jigRuns[c]), maxOf(jigRuns[c]), m/jm)
		if c != cores[0] {
			fmt.Printf(", %.2fx its %d-core speed", m/median(jigRuns[cores[0]]), cores[0])
		}
		fmt.Printf("; used %.2f cores (CPU s / wall s), %.1f MB per CPU-second\n", median(jigUse[c]), median(jigCPU[c]))
	}
	// Ratio run by run (each json.Valid run against the single-core run right after it).
	if len(cores) > 0 && cores[0] == 1 {
		var ratios []float64
		for i := range jsonRuns {
			ratios = append(ratios, jigRuns[1][i]/jsonRuns[i])
		}
		fmt.Printf("  single-core ratio to json.Valid, run by run: median %.2f [%.2f-%.2f]\n", median(ratios), minOf(ratios), maxOf(ratios))
		// CPU time is what one core spends, whatever else runs on the machine.
		fmt.Printf("  per CPU-second (getrusage): json.Valid %.1f MB/s, jigsaw 1 core %.1f MB/s, ratio %.2f [%.2f-%.2f]\n",
			median(jsonCPU), median(jigCPU[1]), median(jigCPU[1])/median(jsonCPU),
			minOf(jigCPU[1])/maxOf(jsonCPU), maxOf(jigCPU[1])/minOf(jsonCPU))
	}
	maxCores := cores[len(cores)-1]
	fmt.Printf("  machine: %d CPUs (%s/%s), shared with other work; a busy loop on %d goroutines got %.2f cores before the runs and %.2f after\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, maxCores, before, availableCores(maxCores))
	return nil
}

// availableCores spins n goroutines for a moment and reports how many cores they got: the
// ceiling for any scaling measured on a shared machine.
func availableCores(n int) float64 {
	prev := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(prev)
	c0, t0 := cpuSeconds(), time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := uint64(1)
			for time.Since(t0) < 500*time.Millisecond {
				for k := 0; k < 100000; k++ {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
			sink.Add(x)
		}()
	}
	wg.Wait()
	return (cpuSeconds() - c0) / time.Since(t0).Seconds()
}

var sink atomic.Uint64

// cpuSeconds is the user and system CPU time the process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func plural(n int) string {
	if n == 1 {
		return " "
	}
	return "s"
}

// isNDJSON reports whether the first line is a complete JSON value on its own.
func isNDJSON(data []byte) bool {
	i := bytes.IndexByte(data, '\n')
	return i > 0 && json.Valid(bytes.TrimSpace(data[:i]))
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		if x < m {
			m = x
		}
	}
	return m
}

func maxOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		if x > m {
			m = x
		}
	}
	return m
}

// bundle wraps NDJSON resources into one collection Bundle (one entry per line).
func bundle(args []string) error {
	fs := flag.NewFlagSet("bundle", flag.ExitOnError)
	in := fs.String("in", "bench.ndjson", "NDJSON input")
	out := fs.String("out", "bench-bundle.json", "Bundle output")
	fs.Parse(args)
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	o, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(o, 1<<20)
	w.WriteString(`{"resourceType":"Bundle","type":"collection","entry":[`)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) == 0 {
			continue
		}
		if n > 0 {
			w.WriteString(",\n")
		}
		fmt.Fprintf(w, `{"fullUrl":"urn:uuid:%08x-0000-4000-8000-%012x","resource":`, n, n)
		w.Write(l)
		w.WriteString("}")
		n++
	}
	w.WriteString("]}\n")
	if err := sc.Err(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return o.Close()
}
