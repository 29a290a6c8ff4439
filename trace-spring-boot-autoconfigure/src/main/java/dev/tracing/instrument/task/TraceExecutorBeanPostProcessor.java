package dev.tracing.instrument.task;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;

import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.interceptor.AsyncUncaughtExceptionHandler;
import org.springframework.beans.factory.config.SmartInstantiationAwareBeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.core.task.TaskDecorator;
import org.springframework.core.task.support.CompositeTaskDecorator;
import org.springframework.core.task.support.ContextPropagatingTaskDecorator;
import org.springframework.core.task.support.TaskExecutorAdapter;
import org.springframework.scheduling.annotation.AsyncConfigurer;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Gives the executors and schedulers an application declares itself ({@code new
 * ThreadPoolTaskExecutor()} in a {@code @Bean} method, for {@code @Async("myExecutor")}) the
 * {@link TraceTaskDecorator} that Spring Boot gives the ones its builders make, so a task runs in
 * its submitter's span wherever it is submitted. A decorator the application set is kept and runs
 * too; an executor whose decorator already carries the span (ours, or Boot's
 * {@link ContextPropagatingTaskDecorator}) is left as it is.
 *
 * <p>Design notes: Spring's executors take a decorator but do not say which one they have, so it
 * is read from their {@code taskDecorator} field; where that field cannot be read the executor is
 * left alone. It is set before the bean's initialization; Spring's executors read it on each
 * task, so one initialized inside its {@code @Bean} method is decorated too. Plain JDK
 * {@code ExecutorService} beans are not changed (their type is
 * the application's to inject); Micrometer's {@code ContextExecutorService} wraps them.
 *
 * <p>The executor an {@link AsyncConfigurer} bean returns for {@code @Async} is often not a bean
 * ({@code new ThreadPoolTaskExecutor()} or {@code Executors.newFixedThreadPool(4)} inside
 * {@code getAsyncExecutor()}), so the configurer is proxied: a Spring executor it returns gets
 * the decorator as above, any other executor is handed to Spring wrapped in a
 * {@link TaskExecutorAdapter} that decorates each task, unless the method is a {@code @Bean} or
 * declares a narrower type than {@code Executor} (then only Spring's executors are decorated). The
 * proxy is a subclass, so a configuration class that is its own {@code AsyncConfigurer} still
 * makes its beans and is injected by its type. A configurer a subclass cannot stand in for (a
 * final class, or one with an annotated method it cannot override) is left as it is, and so is
 * one another bean got before its initialization (a circular reference, which the replaced bean
 * would break); their {@code @Async} tasks run without the caller's span. Spring Boot's own
 * configurer (which it registers when the application has none, and wraps each of the application's
 * in) is only ever injected as an {@code AsyncConfigurer}: it is wrapped in a configurer of ours,
 * which costs no proxy at start-up.
 */
public final class TraceExecutorBeanPostProcessor implements SmartInstantiationAwareBeanPostProcessor {

    /**
     * The configurer Spring Boot registers when the application has none, and wraps each of the
     * application's in: it returns the wrapped one's executor, else the {@code applicationTaskExecutor}
     * bean (which may be a plain JDK executor of the application's).
     */
    private static final String BOOT_CONFIGURER =
            "org.springframework.boot.autoconfigure.task.TaskExecutorConfigurations$ApplicationTaskExecutorAsyncConfigurer";

    private final Supplier<TaskDecorator> decorator;

    /** Configurers another bean got before their initialization (a circular reference): never replaced. */
    private final Set<String> referencedEarly = ConcurrentHashMap.newKeySet();

    public TraceExecutorBeanPostProcessor(Supplier<TaskDecorator> decorator) {
        this.decorator = decorator;
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        decorateSpringExecutor(bean);
        return bean;
    }

    /** Gives one of Spring's executors the decorator; false for any other object. */
    private boolean decorateSpringExecutor(Object bean) {
        if (bean instanceof ThreadPoolTaskExecutor executor) {
            decorate(executor, executor::setTaskDecorator);
        }
        else if (bean instanceof ThreadPoolTaskScheduler scheduler) {
            decorate(scheduler, scheduler::setTaskDecorator);
        }
        else if (bean instanceof SimpleAsyncTaskExecutor executor) {
            decorate(executor, executor::setTaskDecorator);
        }
        else {
            return false;
        }
        return true;
    }

    @Override
    public Object getEarlyBeanReference(Object bean, String beanName) {
        if (bean instanceof AsyncConfigurer) {
            referencedEarly.add(beanName);
        }
        return bean;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (!(bean instanceof AsyncConfigurer configurer) || referencedEarly.remove(beanName)) {
            return bean;
        }
        if (BOOT_CONFIGURER.equals(bean.getClass().getName())) {
            // Boot's own configurer, a class of Boot's that is only ever injected as an AsyncConfigurer, is
            // wrapped: generating a subclass of it took about 150 ms of the end-to-end benchmark app's start-up,
            // and even an interface proxy loads Spring's proxy machinery, which the app may not need otherwise
            return new TracedAsyncConfigurer(configurer);
        }
        if (!subclassable(bean.getClass())) {
            return bean;
        }
        // a subclass: a configuration class that is its own AsyncConfigurer still makes beans, injected by its type
        ProxyFactory proxy = new ProxyFactory(bean);
        proxy.setProxyTargetClass(true);
        proxy.addAdvice(new TracedAsyncExecutor());
        try {
            return proxy.getProxy(bean.getClass().getClassLoader());
        }
        catch (RuntimeException ex) {
            return bean;
        }
    }

    /**
     * Whether a subclass proxy of the configurer behaves as the configurer for everything but its
     * executor: not for a final class, nor for one with an annotated method the subclass cannot
     * override ({@code @EventListener}, {@code @Scheduled}, a lite {@code @Bean}: private, final,
     * or package-private in a superclass of another package), which Spring would invoke on the
     * proxy itself, whose fields are empty.
     */
    private static boolean subclassable(Class<?> type) {
        if (Modifier.isFinal(type.getModifiers())) {
            return false;
        }
        Class<?> userClass = ClassUtils.getUserClass(type);
        for (Method method : ReflectionUtils.getUniqueDeclaredMethods(userClass)) {
            int modifiers = method.getModifiers();
            boolean overridable = !Modifier.isPrivate(modifiers) && !Modifier.isFinal(modifiers)
                    && (Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers)
                            || method.getDeclaringClass().getPackageName().equals(userClass.getPackageName()));
            if (!overridable && method.getDeclaringClass() != Object.class
                    && method.getDeclaredAnnotations().length > 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * An executor {@code @Async} methods can run on in their caller's span: one of Spring's gets the
     * decorator in place; any other is wrapped where the method's result may be another object (declared
     * {@code Executor}, and no bean: a bean's pool is the application's, which Spring shuts down).
     */
    private Executor traced(Executor executor, Method method) {
        if (decorateSpringExecutor(executor) || method.getReturnType() != Executor.class
                || AnnotatedElementUtils.hasAnnotation(method, Bean.class)) {
            return executor;
        }
        TaskExecutorAdapter adapter = new TaskExecutorAdapter(executor);
        adapter.setTaskDecorator(decorator.get());
        return adapter;
    }

    /** Boot's configurer, whose executor runs {@code @Async} methods in their caller's span. */
    private final class TracedAsyncConfigurer implements AsyncConfigurer {

        private final AsyncConfigurer configurer;

        TracedAsyncConfigurer(AsyncConfigurer configurer) {
            this.configurer = configurer;
        }

        @Override
        public Executor getAsyncExecutor() {
            Executor executor = configurer.getAsyncExecutor();
            Method method = ReflectionUtils.findMethod(configurer.getClass(), "getAsyncExecutor");
            return executor == null || method == null ? executor : traced(executor, method);
        }

        @Override
        public AsyncUncaughtExceptionHandler getAsyncUncaughtExceptionHandler() {
            return configurer.getAsyncUncaughtExceptionHandler();
        }

        @Override
        public String toString() {
            return "traced " + configurer;
        }

    }

    private final class TracedAsyncExecutor implements MethodInterceptor {

        @Override
        public Object invoke(MethodInvocation invocation) throws Throwable {
            Object result = invocation.proceed();
            Method method = invocation.getMethod();
            if (result instanceof Executor executor && method.getParameterCount() == 0
                    && method.getName().equals("getAsyncExecutor")) {
                return traced(executor, method);
            }
            return result;
        }

    }

    private void decorate(Object executor, Consumer<TaskDecorator> setter) {
        Field field = ReflectionUtils.findField(executor.getClass(), "taskDecorator", TaskDecorator.class);
        if (field == null) {
            return;
        }
        TaskDecorator existing;
        try {
            ReflectionUtils.makeAccessible(field);
            existing = (TaskDecorator) field.get(executor);
        }
        catch (IllegalAccessException | RuntimeException ex) {
            return;
        }
        if (carriesTheSpan(existing)) {
            List<TaskDecorator> members = membersOf(existing);
            if (members.size() > 1 && members.stream().anyMatch(TraceTaskDecorator.class::isInstance)) {
                // Spring Boot's builders put ours after the application's decorators: same order, ours sees the task
                setter.accept(TraceTaskDecorator.inOrder(members));
            }
            return;
        }
        TaskDecorator ours = decorator.get();
        setter.accept(existing == null ? ours : TraceTaskDecorator.inOrder(List.of(existing, ours)));
    }

    /** The decorators of a composite, in order; an empty list when they cannot be read. */
    private static List<TaskDecorator> membersOf(TaskDecorator decorator) {
        if (!(decorator instanceof CompositeTaskDecorator composite)) {
            return List.of(decorator);
        }
        Field field = ReflectionUtils.findField(CompositeTaskDecorator.class, "taskDecorators");
        if (field == null) {
            return List.of();
        }
        ReflectionUtils.makeAccessible(field);
        Object members = ReflectionUtils.getField(field, composite);
        List<TaskDecorator> found = new ArrayList<>();
        if (members instanceof Collection<?> list) {
            for (Object member : list) {
                if (!(member instanceof TaskDecorator inner)) {
                    return List.of();
                }
                found.add(inner);
            }
        }
        return found;
    }

    private static boolean carriesTheSpan(TaskDecorator decorator) {
        if (decorator instanceof TraceTaskDecorator || decorator instanceof TraceTaskDecorator.Chain
                || decorator instanceof ContextPropagatingTaskDecorator) {
            return true;
        }
        if (decorator instanceof CompositeTaskDecorator) {
            for (TaskDecorator member : membersOf(decorator)) {
                if (carriesTheSpan(member)) {
                    return true;
                }
            }
        }
        return false;
    }

}
