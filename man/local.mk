dist_man_MANS += man/wsldock-agent.8 man/wsldock-agent.conf.5
