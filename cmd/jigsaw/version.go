package main

import (
	"runtime/debug"
	"sync"
)

// toolVersion is the module version the binary was built from ("(devel)" for a local build,
// with the VCS revision when the build recorded one). Assessments record it.
var toolVersion = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v
})

// userAgent names Jigsaw to the servers it probes, so their operators can tell who is calling.
func userAgent() string {
	return "Jigsaw/" + toolVersion() + " (interoperability inspection; +https://github.com/nhs-jigsaw/jigsaw)"
}
