package sandbox

import (
	"fmt"
	"html"
	"net/http"
	"strings"
)

// The legacy profile's error pages imitate a Spring application on an old Tomcat: an HTML page
// with the exception, a stack trace and the server's name and version — everything
// security.errors.no-leak looks for. The message is HTML-escaped: it can echo what the client sent.

const legacyServerBanner = "Apache Tomcat/7.0.52"

// htmlPage writes the legacy error page. An empty javaException gives the plain "not available"
// page Tomcat shows for unknown paths.
func (s *r4Server) htmlPage(x *exchange, status int, javaException, msg string) {
	var b strings.Builder
	title := fmt.Sprintf("HTTP Status %d - %s", status, msg)
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><title>%s - Error report</title>", legacyServerBanner)
	b.WriteString("<style><!--H1 {font-family:Tahoma,Arial,sans-serif;color:white;background-color:#525D76;font-size:22px;} BODY {font-family:Tahoma,Arial,sans-serif;color:black;background-color:white;}--></style></head><body>")
	fmt.Fprintf(&b, "<h1>%s</h1><hr size=\"1\" noshade=\"noshade\">", html.EscapeString(title))
	if javaException == "" {
		fmt.Fprintf(&b, "<p><b>type</b> Status report</p><p><b>message</b> <u>%s</u></p><p><b>description</b> <u>The requested resource is not available.</u></p>", html.EscapeString(x.r.URL.Path))
	} else {
		fmt.Fprintf(&b, "<p><b>type</b> Exception report</p><p><b>message</b> <u>Request processing failed; nested exception is %s: %s</u></p>", javaException, html.EscapeString(msg))
		b.WriteString("<p><b>description</b> <u>The server encountered an internal error that prevented it from fulfilling this request.</u></p><p><b>exception</b></p><pre>")
		fmt.Fprintf(&b, "org.springframework.web.util.NestedServletException: Request processing failed; nested exception is %s: %s\n", javaException, html.EscapeString(msg))
		for _, frame := range legacyStackTrace {
			b.WriteString("\tat " + frame + "\n")
		}
		fmt.Fprintf(&b, "</pre><p><b>root cause</b></p><pre>%s: %s\n", javaException, html.EscapeString(msg))
		b.WriteString("\tat uk.nhs.fenwickvale.pas.fhir.SearchParameterResolver.resolve(SearchParameterResolver.java:141)\n")
		b.WriteString("\tat uk.nhs.fenwickvale.pas.fhir.PatientResourceProvider.search(PatientResourceProvider.java:212)\n</pre>")
		fmt.Fprintf(&b, "<p><b>note</b> <u>The full stack trace of the root cause is available in the %s logs.</u></p>", legacyServerBanner)
	}
	fmt.Fprintf(&b, "<hr size=\"1\" noshade=\"noshade\"><h3>%s</h3></body></html>\n", legacyServerBanner)

	x.w.Header().Set("Content-Type", ctHTML)
	x.w.WriteHeader(status)
	if x.r.Method != http.MethodHead {
		_, _ = x.w.Write([]byte(b.String()))
	}
}

var legacyStackTrace = []string{
	"org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:978)",
	"org.springframework.web.servlet.FrameworkServlet.doGet(FrameworkServlet.java:857)",
	"javax.servlet.http.HttpServlet.service(HttpServlet.java:620)",
	"org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:842)",
	"javax.servlet.http.HttpServlet.service(HttpServlet.java:727)",
	"org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:303)",
	"org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:208)",
	"org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:220)",
	"org.apache.catalina.connector.CoyoteAdapter.service(CoyoteAdapter.java:408)",
	"org.apache.coyote.http11.AbstractHttp11Processor.process(AbstractHttp11Processor.java:1023)",
	"java.lang.Thread.run(Thread.java:744)",
}
