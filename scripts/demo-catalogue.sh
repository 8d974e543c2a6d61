#!/bin/sh
# scripts/demo-catalogue.sh: the demo's catalogue (make run) in the format
# of scripts/catalogue.sh: 3 concerts, each with two schedules 14 and 15
# days (plus the concert's number) from today at 19:00 in Seoul, of 50
# seats: 1-10 VIP at 165,000 won, 11-30 R at 132,000, 31-50 S at 99,000.
# A schedule's id is its date and concert (YYYYMMDDc), so a later day's
# run adds schedules and changes none that may have holds or sales.
set -eu
titles="아이유 콘서트 HEREH|성시경 연말 콘서트|뉴진스 팬미팅 Bunnies Camp"
printf '{"concerts": ['
c=1
while [ $c -le 3 ]; do
    title=$(printf '%s' "$titles" | cut -d'|' -f$c)
    [ $c -gt 1 ] && printf ','
    printf '\n  {"concertId": %d, "title": "%s", "schedules": [' "$c" "$title"
    k=0
    while [ $k -le 1 ]; do
        day=$(TZ=Asia/Seoul date -d "+$((14 + c + k)) days" +%Y-%m-%d)
        [ $k -gt 0 ] && printf ','
        printf '\n    {"scheduleId": %s%d, "date": "%s", "startsAt": "%sT19:00:00+09:00",' \
            "$(printf '%s' "$day" | tr -d -)" "$c" "$day" "$day"
        printf ' "timeZone": "Asia/Seoul", "sections": [\n'
        printf '      {"name": "VIP", "price": 165000, "seats": [1, 10]},\n'
        printf '      {"name": "R", "price": 132000, "seats": [11, 30]},\n'
        printf '      {"name": "S", "price": 99000, "seats": [31, 50]}]}'
        k=$((k + 1))
    done
    printf ']}'
    c=$((c + 1))
done
printf '\n]}\n'
