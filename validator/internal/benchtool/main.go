// Command benchtool drives scripts/bench-validate.sh: it writes synthetic NDJSON with known
// defects, validates a file with Jigsaw's validator on one core reporting MB/s and peak memory,
// and scores any validator's flagged lines against the known defects.
//
//	benchtool gen -size 100 -out bench.ndjson          (also writes bench.ndjson.defects.json)
//	benchtool validate -in bench.ndjson -flagged jigsaw.json
//	benchtool score -in bench.ndjson -flagged medplum.json
//	benchtool speed -in bench.ndjson -repeat 5 -cores 1,2   (MB/s against json.Valid, scaling)
//	benchtool bundle -in bench.ndjson -out bench-bundle.json (the same resources as one Bundle)
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/nhs-jigsaw/jigsaw/validator"
	"github.com/nhs-jigsaw/jigsaw/validator/internal/benchdata"
)

// defectsFile is the side file that records which line carries which defect.
type defectsFile struct {
	Resources int            `json:"resources"`
	Bytes     int64          `json:"bytes"`
	Defects   map[int]string `json:"defects"` // line -> kind
}

// flaggedFile is what a validator run reports: the lines it found errors on, and its timing.
type flaggedFile struct {
	Validator string  `json:"validator"`
	Resources int     `json:"resources"`
	Bytes     int64   `json:"bytes"`
	Seconds   float64 `json:"seconds"`
	PeakRSSMB float64 `json:"peakRssMB,omitempty"`
	Lines     []int   `json:"lines"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool gen|validate|score [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "validate":
		err = validate(os.Args[2:])
	case "score":
		err = score(os.Args[2:])
	case "speed":
		err = speed(os.Args[2:])
	case "bundle":
		err = bundle(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	size := fs.Int64("size", 100, "size in MB")
	out := fs.String("out", "bench.ndjson", "output file")
	every := fs.Int("defect-every", 20, "one resource in N carries a defect")
	fs.Parse(args)
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	st, err := benchdata.Write(f, *size<<20, *every, 42)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	df := defectsFile{Resources: st.Resources, Bytes: st.Bytes, Defects: map[int]string{}}
	for i, line := range st.DefectiveLines {
		df.Defects[line] = benchdata.Defects[i%len(benchdata.Defects)]
	}
	b, _ := json.Marshal(df)
	if err := os.WriteFile(*out+".defects.json", b, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d resources, %.1f MB, %d with a known defect\n", *out, st.Resources, float64(st.Bytes)/(1<<20), st.Defective)
	return nil
}

// peakRSSMB reads the process's peak resident set size (Linux).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

func validate(args []string) error {
	fs := flag.NewFlagSet("validate", flag.ExitOnError)
	in := fs.String("in", "bench.ndjson", "input file")
	flagged := fs.String("flagged", "jigsaw.json", "where to write the flagged lines")
	fs.Parse(args)
	runtime.GOMAXPROCS(1)
	start := time.Now()
	v, err := validator.New(validator.R4)
	if err != nil {
		return err
	}
	loaded := time.Since(start)
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	out := flaggedFile{Validator: "jigsaw"}
	t0 := time.Now()
	sum, err := v.ValidateStream(context.Background(), f, func(r validator.Result) error {
		if r.Errors() > 0 {
			out.Lines = append(out.Lines, r.Index+1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	out.Seconds = time.Since(t0).Seconds()
	out.Resources, out.Bytes, out.PeakRSSMB = sum.Resources, sum.Bytes, peakRSSMB()
	fmt.Printf("jigsaw: %d resources, %.1f MB in %.2f s = %.1f MB/s on one core (definitions loaded in %.2f s), peak RSS %.0f MB\n",
		sum.Resources, float64(sum.Bytes)/(1<<20), out.Seconds, float64(sum.Bytes)/(1<<20)/out.Seconds, loaded.Seconds(), out.PeakRSSMB)
	b, _ := json.Marshal(out)
	return os.WriteFile(*flagged, b, 0o644)
}

func score(args []string) error {
	fs := flag.NewFlagSet("score", flag.ExitOnError)
	in := fs.String("in", "bench.ndjson", "input file (its .defects.json is read)")
	var files multiFlag
	fs.Var(&files, "flagged", "a validator's flagged-lines file (repeatable)")
	fs.Parse(args)
	b, err := os.ReadFile(*in + ".defects.json")
	if err != nil {
		return err
	}
	var df defectsFile
	if err := json.Unmarshal(b, &df); err != nil {
		return err
	}
	kinds := map[string]int{}
	for _, k := range df.Defects {
		kinds[k]++
	}
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	var runs []flaggedFile
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var ff flaggedFile
		if err := json.Unmarshal(b, &ff); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		runs = append(runs, ff)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "%-18s %8s", "defect", "known")
	for _, r := range runs {
		fmt.Fprintf(w, " %12s", r.Validator)
	}
	fmt.Fprintln(w)
	found := make([]map[int]bool, len(runs))
	for i, r := range runs {
		found[i] = map[int]bool{}
		for _, l := range r.Lines {
			found[i][l] = true
		}
	}
	for _, k := range names {
		fmt.Fprintf(w, "%-18s %8d", k, kinds[k])
		for i := range runs {
			n := 0
			for line, kind := range df.Defects {
				if kind == k && found[i][line] {
					n++
				}
			}
			fmt.Fprintf(w, " %12d", n)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%-18s %8d", "false positives", 0)
	for i := range runs {
		n := 0
		for line := range found[i] {
			if _, ok := df.Defects[line]; !ok {
				n++
			}
		}
		fmt.Fprintf(w, " %12d", n)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	for _, r := range runs {
		mbs := float64(r.Bytes) / (1 << 20) / r.Seconds
		fmt.Fprintf(w, "%-8s %d resources, %.1f MB, %.2f s, %.1f MB/s", r.Validator, r.Resources, float64(r.Bytes)/(1<<20), r.Seconds, mbs)
		if r.PeakRSSMB > 0 {
			fmt.Fprintf(w, ", peak RSS %.0f MB", r.PeakRSSMB)
		}
		fmt.Fprintln(w)
	}
	if len(runs) == 2 && runs[1].Seconds > 0 {
		fmt.Fprintf(w, "throughput ratio %s/%s: %.1fx\n", runs[0].Validator, runs[1].Validator, runs[1].Seconds/runs[0].Seconds*float64(runs[0].Bytes)/float64(runs[1].Bytes))
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
