package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"gopkg.in/yaml.v3"
)

// machine describes where the benchmark ran: enough to compare runs, nothing that identifies
// the host (no hostname, no user, no path).
type machine struct {
	CPU    string
	Cores  int
	Memory string
	Go     string
	OSArch string
}

// describeMachine reads the CPU model and memory from /proc on Linux; elsewhere they are
// reported as unknown.
func describeMachine() machine {
	m := machine{CPU: "unknown", Cores: runtime.NumCPU(), Memory: "unknown", Go: runtime.Version(),
		OSArch: runtime.GOOS + "/" + runtime.GOARCH}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if v := procField(raw, "model name"); v != "" {
			m.CPU = v
		} else if v := procField(raw, "Model"); v != "" { // some arm64 kernels
			m.CPU = v
		}
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(procField(raw, "MemTotal"), "%d kB", &kb); err == nil {
			m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return m
}

// procField returns the value of the first "key : value" line of a /proc file.
func procField(raw []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// lambdaMemory reads the functions' memory size (Globals.Function.MemorySize, in MB) from
// template.yaml; 0 when it says none.
func lambdaMemory(root string) (int, error) {
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return 0, fmt.Errorf("read template.yaml: %w", err)
	}
	var tpl struct {
		Globals struct {
			Function struct {
				MemorySize int `yaml:"MemorySize"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		return 0, fmt.Errorf("read template.yaml: %w", err)
	}
	return tpl.Globals.Function.MemorySize, nil
}

// loadAverage returns the machine's load average over the last minute (/proc/loadavg), or ""
// where it cannot be read. It counts the benchmark and its emulators too.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}
