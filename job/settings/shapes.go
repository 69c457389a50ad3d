package settings

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// A ShapePreset names the settings that read one producer's logs: a
// pipeline and field settings, nothing else. A preset gives defaults: a
// setting given in the environment or as a flag overrides the preset's.
type ShapePreset struct {
	Name     string
	Producer string      // who writes these logs
	Settings [][2]string // environment variable (without LOGSMITH_) and value, in order
}

const mib64 = "67108864" // documents holding many events: 64 MiB each

// Shapes are the named log shapes of --shape.
var Shapes = []ShapePreset{
	{"docker", "Docker's json-file logging driver (/var/lib/docker/containers/*/*-json.log)", [][2]string{
		{"PIPELINE", "docker-join | unwrap:log"}, {"TIMESTAMP_FIELD", "@parent.time"}}},
	{"cri", "Kubernetes container runtimes, CRI format (/var/log/pods/…/N.log)", [][2]string{
		{"PIPELINE", "cri | unwrap:message"}, {"TIMESTAMP_FIELD", "@parent.time"}}},
	{"cloudwatch-export", "CloudWatch Logs export to S3 (CreateExportTask)", [][2]string{
		{"PIPELINE", "cloudwatch-export | unwrap:message"}, {"TIMESTAMP_FIELD", "@parent.timestamp"}}},
	{"cloudwatch-subscription", "CloudWatch Logs subscription filter delivered by Firehose to S3", [][2]string{
		{"PIPELINE", "json-stream | keep:messageType=DATA_MESSAGE | explode:logEvents | unwrap:message"},
		{"TIMESTAMP_FIELD", "@parent.timestamp"}, {"TIMESTAMP_FORMAT", "epoch_ms"}, {"MAX_LINE_BYTES", mib64}}},
	{"firehose", "Amazon Data Firehose to S3: JSON records concatenated without newlines", [][2]string{
		{"PIPELINE", "json-stream"}}},
	{"cloudtrail", "AWS CloudTrail log files ({\"Records\":[…]})", [][2]string{
		{"PIPELINE", "json-stream | explode:Records"}, {"TIMESTAMP_FIELD", "eventTime"},
		{"LEVEL_FIELD", "errorCode"}, {"LEVEL_MAP", "*=error"}, {"LATENCY_FIELD", ""}, {"MAX_LINE_BYTES", mib64}}},
	{"otlp-json", "OpenTelemetry OTLP/JSON logs (the collector's file exporter, OTLP/HTTP JSON bodies)", [][2]string{
		{"PIPELINE", "json-stream | explode:resourceLogs | explode:scopeLogs | explode:logRecords | " +
			"attributes:attributes | attributes:resource.attributes | attributes:scope.attributes | " +
			"coalesce:time=timeUnixNano,observedTimeUnixNano"},
		{"TIMESTAMP_FIELD", "time"}, {"TIMESTAMP_FORMAT", "epoch_ns"},
		{"LEVEL_FIELD", "severityNumber"}, {"LEVEL_MAP", "1-12=info,13-16=warn,17-24=error"},
		{"LATENCY_FIELD", ""}, {"MAX_LINE_BYTES", mib64}}},
	{"pino", "pino and pino-http (Node.js)", [][2]string{
		{"TIMESTAMP_FIELD", "time"}, {"TIMESTAMP_FORMAT", "epoch_ms"},
		{"LEVEL_MAP", "10,20,30=info,40=warn,50,60=error"},
		{"LATENCY_FIELD", "responseTime"}, {"LATENCY_UNIT", "ms"}, {"STATUS_FIELD", "res.statusCode"}}},
	{"bunyan", "bunyan and restify's audit logger (Node.js)", [][2]string{
		{"TIMESTAMP_FIELD", "time"}, {"LEVEL_MAP", "10,20,30=info,40=warn,50,60=error"},
		{"LATENCY_FIELD", "latency"}, {"LATENCY_UNIT", "ms"}, {"STATUS_FIELD", "res.statusCode"}}},
	{"gcp", "Google Cloud Logging LogEntry JSON (exports to Cloud Storage, Pub/Sub)", [][2]string{
		{"TIMESTAMP_FIELD", "timestamp"}, {"LEVEL_FIELD", "severity"},
		{"LATENCY_FIELD", "httpRequest.latency"}, {"STATUS_FIELD", "httpRequest.status"},
		{"BYTES_FIELD", "httpRequest.responseSize"}}},
	{"ecs", "Elastic Common Schema loggers (ecs-logging: \"log.level\" as a dotted key)", [][2]string{
		{"TIMESTAMP_FIELD", "@timestamp"}, {"LEVEL_FIELD", `"log.level"`},
		{"LATENCY_FIELD", "event.duration"}, {"LATENCY_UNIT", "ns"},
		{"STATUS_FIELD", "http.response.status_code"}, {"BYTES_FIELD", "http.response.body.bytes"}}},
	{"journald", "systemd journal as journalctl -o json writes it", [][2]string{
		{"TIMESTAMP_FIELD", "__REALTIME_TIMESTAMP"}, {"TIMESTAMP_FORMAT", "epoch_us"},
		{"LEVEL_FIELD", "PRIORITY"}, {"LEVEL_MAP", "0-3=error,4=warn,5-7=info"}, {"LATENCY_FIELD", ""}}},
	{"alb", "AWS Application Load Balancer access logs", [][2]string{
		{"PIPELINE", "alb"}, {"TIMESTAMP_FIELD", "time"}, {"LEVEL_FIELD", ""},
		{"LATENCY_FIELD", "target_processing_time"}, {"LATENCY_UNIT", "s"},
		{"STATUS_FIELD", "elb_status_code"}, {"BYTES_FIELD", "sent_bytes"}}},
}

// ShapeNames lists the names of Shapes.
func ShapeNames() []string {
	names := make([]string, len(Shapes))
	for i, s := range Shapes {
		names[i] = s.Name
	}
	return names
}

// Flags renders the preset as the flags it stands for.
func (p ShapePreset) Flags() string {
	var parts []string
	for _, kv := range p.Settings {
		flag := strings.ReplaceAll(strings.ToLower(kv[0]), "_", "-")
		v := kv[1]
		if v == "" || strings.ContainsAny(v, " |\"*,") {
			v = "'" + v + "'"
		}
		parts = append(parts, "--"+flag+" "+v)
	}
	return strings.Join(parts, " ")
}

// withShape returns environ with the preset LOGSMITH_SHAPE names filled
// in under the variables environ does not set.
func withShape(environ map[string]string) (map[string]string, error) {
	name := environ[EnvPrefix+"SHAPE"]
	if name == "" {
		return environ, nil
	}
	i := slices.IndexFunc(Shapes, func(s ShapePreset) bool { return s.Name == name })
	if i < 0 {
		var probe struct {
			Shape string `env:"SHAPE" flag:"shape"`
		}
		probe.Shape = name
		if err := CheckWhitespace(&probe); err != nil {
			return nil, err
		}
		return nil, &ConfigError{Env: EnvPrefix + "SHAPE", Flag: "shape",
			Err: fmt.Errorf("%q: unknown shape (want one of %s)", name, strings.Join(ShapeNames(), ", "))}
	}
	out := maps.Clone(environ)
	for _, kv := range Shapes[i].Settings {
		if _, set := environ[EnvPrefix+kv[0]]; !set {
			out[EnvPrefix+kv[0]] = kv[1]
		}
	}
	return out, nil
}

// ShapeNamed returns the shape preset named name, or nil.
func ShapeNamed(name string) *ShapePreset {
	for i := range Shapes {
		if Shapes[i].Name == name {
			return &Shapes[i]
		}
	}
	return nil
}
