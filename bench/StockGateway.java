import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;

/**
 * Stock Spring Cloud Gateway, for the benchmark's {@code scg} target: the image's own Spring Boot, WebFlux, Spring
 * Cloud Gateway and actuator jars without wsgate's classes or Spring Security, routed by the same route file, the
 * WebSocket relayed by the gateway's own {@code WebsocketRoutingFilter}. Between the {@code reactor-netty} floor
 * and wsgate, it tells what the Spring layers cost apart from what wsgate adds.
 *
 * <pre>java -cp 'CLASSES:app/lib/*' StockGateway --spring.config.additional-location=file:ROUTES --server.port=PORT</pre>
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class StockGateway {

    public static void main(String[] args) {
        SpringApplication.run(StockGateway.class, args);
    }
}
