-- wrk script for scripts/bench: after the run, print the request count, the errors and the
-- latency distribution (microseconds) as percentiles, for p50/p99 and the CDF plot.
--   S <requests> <socket errors> <status errors> <duration us>
--   P <percentile> <latency us>
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("S %d %d %d %d\n", summary.requests,
                          e.connect + e.read + e.write + e.timeout, e.status, summary.duration))
   if summary.requests == 0 then return end
   for i = 1, 999 do                 -- 0.1 .. 99.9
      io.write(string.format("P %.2f %d\n", i / 10, latency:percentile(i / 10)))
   end
   for i = 1, 9 do                   -- 99.91 .. 99.99
      local p = 99.9 + i / 100
      io.write(string.format("P %.2f %d\n", p, latency:percentile(p)))
   end
   io.write(string.format("P 100.00 %d\n", latency.max))
end
