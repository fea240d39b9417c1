package main

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/spf13/cobra"

	"github.com/nhs-jigsaw/jigsaw/cliout"
)

// buildInfo is what the binary knows about its own build, from runtime/debug.
type buildInfo = cliout.Version

var readBuild = sync.OnceValue(func() buildInfo {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return buildInfo{Version: "unknown"}
	}
	b := buildInfo{Module: info.Main.Path, Version: info.Main.Version, Go: info.GoVersion}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
})

// toolVersion is the module version the binary was built from ("(devel)" for a local build),
// with the first 12 digits of the VCS commit when the build recorded one and "-modified" when
// the working tree had uncommitted changes. Assessments and reports record it.
func toolVersion() string {
	b := readBuild()
	v := b.Version
	if len(b.Commit) >= 12 {
		v += "+" + b.Commit[:12]
		if b.Modified {
			v += "-modified"
		}
	}
	return v
}

// userAgent names Jigsaw to the servers it probes, so their operators can tell who is calling.
func userAgent() string {
	return "Jigsaw/" + toolVersion() + " (interoperability inspection; +https://github.com/nhs-jigsaw/jigsaw)"
}

func versionText() string {
	b := readBuild()
	commit := b.Commit
	if commit == "" {
		commit = "unknown (built without VCS information, for example by go run or from a module zip)"
	} else if b.Modified {
		commit += " (working tree modified)"
	}
	s := fmt.Sprintf("jigsaw %s\ncommit  %s\n", b.Version, commit)
	if b.Time != "" {
		s += fmt.Sprintf("date    %s\n", b.Time)
	}
	return s + fmt.Sprintf("go      %s\n", b.Go)
}

func newVersionCmd(streams IO) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version and VCS commit this binary was built from",
		Long: `Version prints the module version and the VCS commit the binary was built from, read
from the Go build information. Reports and assessments record the same version, so a
report can be traced to the exact code that produced it.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := checkOutputFormat(format); err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(streams.Out, readBuild())
			}
			_, err := fmt.Fprint(streams.Out, versionText())
			return err
		},
	}
	addOutputFlag(cmd, &format, false)
	return cmd
}
