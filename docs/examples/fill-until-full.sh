#!/bin/sh
# Posts creates until 5 answers in a row are not 201; prints each status change.
T=operator-test-token-0123456789abcdef
last=""; fails=0; acked=0; n=0
while [ $fails -lt 5 ] && [ $n -lt 20000 ]; do
  n=$((n+1))
  code=$(curl -s -o /tmp/fkbody -w '%{http_code}' -H "Authorization: Bearer $T" -H 'Content-Type: application/json' \
    -d "{\"workflow\":\"ticket\",\"key\":\"K-$n\",\"data\":{\"level\":2,\"group\":\"padding-padding-padding-padding-padding-padding\"}}" \
    localhost:18717/v1/instances)
  if [ "$code" = 201 ]; then acked=$((acked+1)); fails=0; else fails=$((fails+1)); fi
  if [ "$code" != "$last" ]; then echo "request $n: HTTP $code"; [ "$code" != 201 ] && cat /tmp/fkbody && echo; last=$code; fi
done
echo "acknowledged: $acked of $n"
