package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// ctRecord is a CloudTrail event record, by AWS's record contents reference
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
// members in the order CloudTrail writes them.
type ctRecord struct {
	EventVersion       string         `json:"eventVersion"`
	UserIdentity       ctIdentity     `json:"userIdentity"`
	EventTime          string         `json:"eventTime"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	AWSRegion          string         `json:"awsRegion"`
	SourceIPAddress    string         `json:"sourceIPAddress"`
	UserAgent          string         `json:"userAgent"`
	ErrorCode          string         `json:"errorCode,omitempty"`
	ErrorMessage       string         `json:"errorMessage,omitempty"`
	RequestParameters  map[string]any `json:"requestParameters"`
	ResponseElements   map[string]any `json:"responseElements"`
	RequestID          string         `json:"requestID"`
	EventID            string         `json:"eventID"`
	ReadOnly           bool           `json:"readOnly"`
	EventType          string         `json:"eventType"`
	ManagementEvent    bool           `json:"managementEvent"`
	RecipientAccountID string         `json:"recipientAccountId"`
	EventCategory      string         `json:"eventCategory"`
	TLSDetails         *ctTLS         `json:"tlsDetails,omitempty"`
}

type ctIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

type ctTLS struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// genCloudTrail writes a trail's log files, by AWS's documentation
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html):
// AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz,
// gzip, one JSON document {"Records":[...]} per file, about every 5
// minutes, records in no particular order and some late into a later file.
// A record is an error when it has errorCode.
func genCloudTrail(dir string) (*truth, error) {
	r := newRNG(0xc7)
	tr := &truth{}
	calls := []struct{ source, name, host string }{
		{"s3.amazonaws.com", "GetObject", "logs-bucket.s3.us-east-1.amazonaws.com"},
		{"s3.amazonaws.com", "PutObject", "logs-bucket.s3.us-east-1.amazonaws.com"},
		{"ec2.amazonaws.com", "DescribeInstances", "ec2.us-east-1.amazonaws.com"},
		{"sts.amazonaws.com", "AssumeRole", "sts.us-east-1.amazonaws.com"},
		{"kms.amazonaws.com", "Decrypt", "kms.us-east-1.amazonaws.com"},
		{"iam.amazonaws.com", "CreateAccessKey", "iam.amazonaws.com"},
	}
	errors := []struct{ code, msg string }{
		{"AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/ci/runner is not authorized to perform: s3:PutObject"},
		{"Client.UnauthorizedOperation", "You are not authorized to perform this operation."},
		{"ThrottlingException", "Rate exceeded"},
		{"NoSuchKey", "The specified key does not exist. (ключ «logs/2025»)"},
	}
	type item struct {
		delivered time.Time
		rec       ctRecord
	}
	var items []item
	for _, t := range times(r, 200, time.Second) {
		c := pick(r, calls)
		rec := ctRecord{
			EventVersion: "1.11",
			UserIdentity: ctIdentity{Type: "AssumedRole", PrincipalID: "AROAEXAMPLE" + r.hex(8) + ":runner",
				ARN: "arn:aws:sts::123456789012:assumed-role/ci/runner", AccountID: "123456789012", AccessKeyID: "ASIA" + r.hex(16)},
			EventTime: t.Format(time.RFC3339), EventSource: c.source, EventName: c.name, AWSRegion: "us-east-1",
			SourceIPAddress:   fmt.Sprintf("203.0.113.%d", r.between(1, 254)),
			UserAgent:         pick(r, []string{"aws-cli/2.22.1 md/awscrt#0.22.0 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.12.6", "[Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#6.1 lang/python#3.11.10]", "s3.amazonaws.com"}),
			RequestParameters: map[string]any{"bucketName": "logs-bucket", "key": "app/2025/11/08/événements.json"},
			RequestID:         r.hex(16), EventID: uuid(r), ReadOnly: c.name[0] == 'G' || c.name[0] == 'D',
			EventType: "AwsApiCall", ManagementEvent: c.source != "s3.amazonaws.com", RecipientAccountID: "123456789012",
			EventCategory: "Management",
			TLSDetails:    &ctTLS{"TLSv1.3", "TLS_AES_128_GCM_SHA256", c.host},
		}
		if c.source == "s3.amazonaws.com" {
			rec.EventCategory = "Data"
		}
		level := "info"
		if r.chance(0.12) {
			e := pick(r, errors)
			rec.ErrorCode, rec.ErrorMessage, level = e.code, e.msg, "error"
		} else if c.name == "CreateAccessKey" {
			rec.ResponseElements = map[string]any{"accessKey": map[string]any{"status": "Active", "userName": "ci"}}
		}
		// Delivered in the file of the next 5-minute mark, some a file later.
		delivered := t.Truncate(5 * time.Minute).Add(5 * time.Minute)
		if r.chance(0.1) {
			delivered = delivered.Add(5 * time.Minute)
		}
		items = append(items, item{delivered, rec})
		tr.add(t, level, none, 0, none)
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.delivered.Compare(b.delivered) })
	for len(items) > 0 {
		at := items[0].delivered
		var recs []ctRecord
		for len(items) > 0 && items[0].delivered.Equal(at) {
			recs = append(recs, items[0].rec)
			items = items[1:]
		}
		// Not in time order inside a file.
		for i := len(recs) - 1; i > 0; i-- {
			j := int(r.between(0, int64(i)))
			recs[i], recs[j] = recs[j], recs[i]
		}
		name := fmt.Sprintf("AWSLogs/123456789012/CloudTrail/us-east-1/%s/123456789012_CloudTrail_us-east-1_%s_%s.json.gz",
			at.Format("2006/01/02"), at.Format("20060102T1504Z"), r.hex(16))
		if err := writeFile(filepath.Join(dir, "input", filepath.FromSlash(name)), gz(mustJSON(map[string]any{"Records": recs}))); err != nil {
			return nil, err
		}
	}
	return tr, nil
}
