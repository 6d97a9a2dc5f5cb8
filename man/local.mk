dist_man_MANS += man/wsldock-agent.8
