# Turns page.html into a C string (dashboard_page), so the page ships
# inside the binary and needs no file or CDN at run time.
BEGIN { print "/* Generated from page.html by embed.awk: do not edit. */"; print "const char dashboard_page[] ="; }
{
	gsub(/\\/, "\\\\");
	gsub(/"/, "\\\"");
	print "\t\"" $0 "\\n\"";
}
END { print "\t;"; }
