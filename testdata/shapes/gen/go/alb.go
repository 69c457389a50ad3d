package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// genALB writes Application Load Balancer access logs by AWS's
// documentation of their entries and files
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html):
// one gzip file per load balancer node per 5 minutes, under
// AWSLogs/<account>/elasticloadbalancing/<region>/YYYY/MM/DD/ named
// <account>_elasticloadbalancing_<region>_app.<lb>.<id>_<end time>_<node ip>_<random>.log.gz,
// each line the space-separated fields in the documented order, from type
// to conn_trace_id, with the request, user agent and other text fields in
// double quotes. Processing times are seconds with millisecond precision,
// and -1 (with target "-" and target status "-") when the load balancer
// could not dispatch to a target or the target closed the connection:
// then 502 or 504 from the load balancer, or 460 when the client closed.
func genALB(dir string) (*truth, error) {
	r := newRNG(0xa1b)
	tr := &truth{}
	nodes := []string{"10.0.1.23", "10.0.2.41"}
	type entry struct {
		node string
		t    time.Time
		line string
	}
	var entries []entry
	agents := []string{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"curl/8.5.0", "okhttp/4.12.0", "-", "Go-http-client/2.0"}
	for _, t := range times(r, 200, time.Microsecond) {
		node := pick(r, nodes)
		kind := pick(r, []string{"https", "https", "h2", "http"})
		status := statusOf(r)
		targetStatus := fmt.Sprint(status)
		target := fmt.Sprintf("10.0.%d.%d:8080", r.between(10, 11), r.between(2, 250))
		reqT := fmt.Sprintf("0.%03d", r.between(0, 2))
		respT := "0.000"
		lat := latencyOf(r, status).Round(time.Millisecond)
		latS := fmt.Sprintf("%d.%03d", lat/time.Second, (lat%time.Second)/time.Millisecond)
		actions, errReason := "forward", "-"
		if r.chance(0.06) { // nothing reached a target
			status = pick(r, []int{502, 504, 460})
			targetStatus, target, reqT, latS, respT, lat = "-", "-", "-1", "-1", "-1", none
			errReason = map[int]string{502: "TargetConnectionErrorCode", 504: "TargetTimeout", 460: "-"}[status]
		}
		sent := r.between(0, 90000)
		switch {
		case status == 204 || status == 304:
			sent = 0
		case targetStatus == "-": // the load balancer's own error page, or nothing for 460
			sent = map[int]int64{502: 272, 504: 286, 460: 0}[status]
		}
		path := pick(r, []string{"/", "/api/items?q=red%20shoes&page=2", "/api/cart", "/static/app.js", "/caf%C3%A9/men%C3%BC", "/api/orders/42"})
		proto := "HTTP/1.1"
		if kind == "h2" {
			proto = "HTTP/2.0"
		}
		scheme, port, cipher, tls := "https", "443", "ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2"
		if kind == "http" {
			scheme, port, cipher, tls = "http", "80", "-", "-"
		}
		request := fmt.Sprintf("%s %s://shop.example.com:%s%s %s", pick(r, []string{"GET", "GET", "POST", "PUT"}), scheme, port, path, proto)
		created := t.Add(-time.Duration(r.between(1000, 900000)) * time.Microsecond)
		fields := []string{
			kind, t.Format("2006-01-02T15:04:05.000000Z"), "app/shop-alb/50dc6c495c0c9188",
			fmt.Sprintf("198.51.100.%d:%d", r.between(1, 254), r.between(1024, 65535)), target,
			reqT, latS, respT, fmt.Sprint(status), targetStatus,
			fmt.Sprint(r.between(100, 3000)), fmt.Sprint(sent),
			`"` + request + `"`, `"` + pick(r, agents) + `"`, cipher, tls,
			"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-web/73e2d6bc24d8a067",
			fmt.Sprintf(`"Root=1-%08x-%s"`, t.Unix(), r.hex(24)), `"shop.example.com"`,
			`"arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"`,
			fmt.Sprint(pick(r, []int{0, 1, 10})), created.Format("2006-01-02T15:04:05.000000Z"),
			`"` + actions + `"`, `"-"`, `"` + errReason + `"`,
			`"` + target + `"`, `"` + targetStatus + `"`, `"-"`, `"-"`,
			"TID_" + r.hex(32),
		}
		if kind == "http" {
			fields[18], fields[19] = `"-"`, `"-"` // no TLS: no SNI domain, no certificate
		}
		entries = append(entries, entry{node, t, strings.Join(fields, " ")})
		class := "info"
		if status >= 500 {
			class = "error"
		}
		tr.add(t, class, lat, status, sent)
	}
	type key struct {
		node string
		end  time.Time
	}
	files := map[key]*bytes.Buffer{}
	for _, e := range entries {
		k := key{e.node, e.t.Truncate(5 * time.Minute).Add(5 * time.Minute)}
		if files[k] == nil {
			files[k] = &bytes.Buffer{}
		}
		files[k].WriteString(e.line + "\n")
	}
	keys := make([]key, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := a.end.Compare(b.end); c != 0 {
			return c
		}
		return strings.Compare(a.node, b.node)
	})
	for _, k := range keys {
		name := fmt.Sprintf("AWSLogs/123456789012/elasticloadbalancing/us-east-1/%s/123456789012_elasticloadbalancing_us-east-1_app.shop-alb.50dc6c495c0c9188_%s_%s_%s.log.gz",
			k.end.Format("2006/01/02"), k.end.Format("20060102T1504Z"), k.node, r.hex(8))
		if err := writeFile(filepath.Join(dir, "input", filepath.FromSlash(name)), gz(files[k].Bytes())); err != nil {
			return nil, err
		}
	}
	return tr, nil
}
